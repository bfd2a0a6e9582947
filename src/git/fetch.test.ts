/** Fetching one commit from a real git server (git http-backend), and what a build reads from it. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGitUrl } from '../core/git.js';
import { startGitServer, type GitServer, type GitWorkdir } from '../../test/support/git-server.js';
import { cleanup, tempDir } from '../../test/support/server-process.js';
import { fetchCommit, hasFile, parseLsRemote, readFile, resolveRef } from './fetch.js';
import { GitHostPolicy } from './git-cli.js';
import { buildSettingsOf, manifestTextOf } from './manifest.js';
import { dockerfileImages } from './buildah.js';

let git: GitServer;
let work: GitWorkdir;
const allow = new GitHostPolicy(['127.0.0.1']);

beforeAll(async () => {
  git = await startGitServer();
  await git.createRepo('app');
  work = await git.workdir('app');
});

afterAll(async () => {
  await git?.close();
  await cleanup();
});

function area(): string {
  const dir = join(tempDir('slipway-fetch-'), 'git');
  mkdirSync(dir);
  return dir;
}

describe('fetching a commit', () => {
  it('resolves branches, tags (peeled) and shas from ls-remote output', () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const refs = parseLsRemote(`${a}\tHEAD\n${a}\trefs/heads/main\n${b}\trefs/tags/v1\n${a}\trefs/tags/v1^{}\n`);
    expect(refs.get('refs/tags/v1')).toBe(a);
    expect(resolveRef(refs, 'main')).toEqual({ ref: 'refs/heads/main', sha: a });
    expect(resolveRef(refs, 'v1')).toEqual({ ref: 'refs/tags/v1', sha: a });
    expect(resolveRef(refs, 'c'.repeat(40))).toEqual({ ref: 'c'.repeat(40), sha: 'c'.repeat(40) });
    expect(resolveRef(refs, 'nope')).toBeNull();
  });

  it('fetches one commit with the token, finds the tags at it, and reads the manifest build settings', async () => {
    const sha = await work.commit({ 'slipway.yaml': 'build:\n  dockerfile: docker/Dockerfile\n  network: true\n', 'docker/Dockerfile': 'FROM x/y:1\n' }, 'with manifest');
    await work.push('main');
    await work.tag('v3.1.0', { message: 'annotated' });
    const log: string[] = [];
    const commit = await fetchCommit(area(), allow, parseGitUrl(`${git.url}/app.git`), git.token, { ref: 'main' }, (l) => log.push(l));
    expect(commit).toMatchObject({ sha, ref: 'refs/heads/main', tags: ['v3.1.0'] });
    expect(commit.commitTime).toBeGreaterThan(1_700_000_000);
    expect(await hasFile(commit, 'docker/Dockerfile')).toBe(true);
    expect(await hasFile(commit, 'Dockerfile')).toBe(false);
    expect(await readFile(commit, 'docker/Dockerfile')).toBe('FROM x/y:1\n');
    expect(buildSettingsOf(await manifestTextOf(commit), { runtime: 'static', base: 'b:1' })).toEqual({ runtime: 'static', base: 'b:1', dockerfile: 'docker/Dockerfile', network: true });
    expect(log.join('\n')).not.toContain(git.token);
    // The token went as a header, and protocol v2 was spoken.
    expect(git.requests.filter((r) => r.path.includes('upload-pack')).every((r) => r.authenticated)).toBe(true);
    expect(git.requests.some((r) => r.gitProtocol === 'version=2')).toBe(true);
  });

  it('says which of credential, ref and host is wrong', async () => {
    const url = parseGitUrl(`${git.url}/app.git`);
    await expect(fetchCommit(area(), allow, url, 'wrong', { ref: 'main' }, () => undefined)).rejects.toMatchObject({ code: 'SLW_GIT_AUTH_FAILED' });
    await expect(fetchCommit(area(), allow, url, null, { ref: 'main' }, () => undefined)).rejects.toMatchObject({ code: 'SLW_GIT_AUTH_FAILED', message: expect.stringContaining('none is set') });
    await expect(fetchCommit(area(), allow, url, git.token, { ref: 'nope' }, () => undefined)).rejects.toMatchObject({ code: 'SLW_GIT_REF_NOT_FOUND' });
    await expect(fetchCommit(area(), allow, url, git.token, { ref: 'main', sha: 'e'.repeat(40) }, () => undefined)).rejects.toMatchObject({ code: expect.stringMatching(/SLW_GIT_(REF_NOT_FOUND|UNREACHABLE)/) });
    await expect(fetchCommit(area(), allow, parseGitUrl(`${git.url}/missing.git`), git.token, { ref: 'main' }, () => undefined)).rejects.toMatchObject({ code: 'SLW_GIT_UNREACHABLE' });
    await expect(fetchCommit(area(), new GitHostPolicy(), url, git.token, { ref: 'main' }, () => undefined)).rejects.toMatchObject({ code: 'SLW_GIT_HOST_REFUSED' });
    const wrong = await fetchCommit(area(), allow, url, 'wrong', { ref: 'main' }, () => undefined).catch((e: Error) => e.message);
    expect(wrong).not.toContain('wrong');
  });
});

describe('images a Dockerfile names', () => {
  it('lists FROM and --from images, not stages or scratch, and refuses variables', () => {
    expect(dockerfileImages('FROM h:1/a/b:1 AS build\nRUN x\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=h:1/c/d:2 /b /b\n# FROM nope\nFROM build\n')).toEqual(['h:1/a/b:1', 'h:1/c/d:2']);
    expect(() => dockerfileImages('ARG B\nFROM $B\n')).toThrow(expect.objectContaining({ code: 'SLW_GIT_BUILD_FAILED' }));
  });
});
