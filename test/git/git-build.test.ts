/**
 * Git sources end to end, on real parts: a git server (git http-backend behind a node server,
 * token auth), `slipway git link` / `git build` through the real CLI, buildah for Dockerfile
 * builds, the daemonless builder for a static site and a Node app, Docker + Caddy for the deploy.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployWorld, viaProxy, type DeployWorld } from '../support/deploy.js';
import { startGitServer, type GitServer, type GitWorkdir } from '../support/git-server.js';
import { pushBase } from '../support/images.js';
import { cleanup } from '../support/server-process.js';
import { pushNodeBase } from '../support/service-app.js';

let w: DeployWorld;
let git: GitServer;
const ws = 'gitsrc';
const domain = (env: string, project: string) => `${env}.${project}.${ws}.localhost`;

beforeAll(async () => {
  w = await deployWorld({ workspace: ws, args: ['--allow-git-host', '127.0.0.1'] });
  git = await startGitServer();
  await pushBase(w.docker, 'static', `${w.host}/${ws}/base:static`);
  await pushNodeBase(w.docker, `${w.host}/${ws}/base:node`);
  for (const name of ['site', 'nodeapp', 'docker', 'other']) {
    const r = await w.run(['project', 'create', name, '-w', ws, '--json']);
    expect(r.code, r.stderr).toBe(0);
  }
}, 600_000);

afterAll(async () => {
  await git?.close();
  await w?.dispose();
  await cleanup();
});

interface Built {
  id: string;
  version: string;
  digest: string;
  commit: string;
  ref: string;
  method: string;
  deploy: { environment: string; deployment: string | null } | null;
}

async function link(project: string, repo: string, extra: string[] = []): Promise<void> {
  const r = await w.cli(['git', 'link', '-w', ws, '-p', project, `${git.url}/${repo}.git`, '--credential', '-', ...extra, '--json'], git.token);
  expect(r.code, r.stderr).toBe(0);
  expect(r.json()).toMatchObject({ credential: 'set', url: `${git.url}/${repo}.git` });
}

async function build(project: string, args: string[] = []): Promise<Built> {
  const r = await w.run(['git', 'build', '-w', ws, '-p', project, ...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.json<Built>();
}

async function followDeploy(id: string): Promise<void> {
  const logs = await w.run(['logs', id, '-w', ws, '--follow', '--json']);
  expect(logs.code, logs.stderr).toBe(0);
  expect(logs.stdout).toContain('succeeded');
}

async function repoWith(name: string, files: Record<string, string>): Promise<GitWorkdir> {
  await git.createRepo(name);
  const work = await git.workdir(name);
  await work.commit(files, 'first');
  await work.push('main');
  return work;
}

describe('git sources', () => {
  it('builds a static site from a git repository and deploys it to dev; the same commit again gives the same digest', async () => {
    const work = await repoWith('site', { 'index.html': '<h1>from git</h1>\n', 'style.css': 'h1{}\n' });
    await link('site', 'site', ['--runtime', 'static', '--base', `${w.host}/${ws}/base:static`]);
    const first = await build('site');
    const sha = await work.head();
    expect(first).toMatchObject({ commit: sha, ref: 'refs/heads/main', version: `git-${sha.slice(0, 12)}`, method: 'builder', deploy: { environment: 'dev' } });
    await followDeploy(first.deploy?.deployment as string);
    const page = await viaProxy(w.proxyPort, domain('dev', 'site'), '/index.html');
    expect(page).toMatchObject({ status: 200, body: '<h1>from git</h1>\n' });

    // The same commit again: the same image (and the version tag still names it).
    const again = await build('site', ['--no-deploy']);
    expect(again).toMatchObject({ digest: first.digest, version: first.version, deploy: null });

    // A tag pointing at the commit names the version; a build by sha finds it.
    await work.commit({ 'index.html': '<h1>tagged</h1>\n' }, 'second');
    await work.push('main');
    await work.tag('v2.0.0');
    const tagged = await build('site', ['--ref', await work.head(), '--no-deploy']);
    expect(tagged.version).toBe('v2.0.0');

    // The build records and its log (no credential in them).
    const list = await w.run(['git', 'builds', '-w', ws, '-p', 'site', '--json']);
    expect(list.json<Array<{ status: string }>>().map((b) => b.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const one = await w.run(['git', 'builds', first.id, '-w', ws, '-p', 'site', '--json']);
    expect(one.json<{ log: string }>().log).toContain(`commit ${sha}`);
    expect(one.stdout).not.toContain(git.token);
  });

  it('builds a Node app from a git repository (detected) and deploys it to dev', async () => {
    await repoWith('nodeapp', {
      'package.json': JSON.stringify({ name: 'app', version: '1.0.0', scripts: { start: 'node server.js' } }),
      'server.js': "require('node:http').createServer((q, s) => s.end('node from git\\n')).listen(Number(process.env.PORT ?? 8080));\nprocess.on('SIGTERM', () => process.exit(0));\n",
    });
    await link('nodeapp', 'nodeapp', ['--base', `${w.host}/${ws}/base:node`]);
    const built = await build('nodeapp');
    expect(built).toMatchObject({ method: 'builder', deploy: { environment: 'dev' } });
    await followDeploy(built.deploy?.deployment as string);
    expect(await viaProxy(w.proxyPort, domain('dev', 'nodeapp'))).toMatchObject({ status: 200, body: 'node from git\n' });
  });

  it("takes the default branch's slipway.yaml as the project's manifest (its release step runs in that build's deploy); a branch's never replaces it", async () => {
    expect((await w.run(['project', 'create', 'relapp', '-w', ws, '--json'])).code).toBe(0);
    const manifest = "release:\n  jobs:\n    - name: migrate\n      image: $build\n      command: node -e \"console.log('migrated from git')\"\n";
    const work = await repoWith('relapp', {
      'package.json': JSON.stringify({ name: 'app', version: '1.0.0', scripts: { start: 'node server.js' } }),
      'server.js': "require('node:http').createServer((q, s) => s.end('released\\n')).listen(Number(process.env.PORT ?? 8080));\nprocess.on('SIGTERM', () => process.exit(0));\n",
      'slipway.yaml': manifest,
    });
    await link('relapp', 'relapp', ['--base', `${w.host}/${ws}/base:node`]);
    const built = await build('relapp');
    const shown = await w.run(['pipeline', 'show', '-w', ws, '-p', 'relapp', '--json']);
    expect(shown.json()).toMatchObject({ applied: true, source: 'git', commit: built.commit, release: [{ name: 'migrate' }] });
    const log = await w.run(['logs', built.deploy?.deployment as string, '-w', ws, '--follow', '--json']);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/release step:[\s\S]*release step succeeded[\s\S]*is live/);
    expect(await viaProxy(w.proxyPort, domain('dev', 'relapp'))).toMatchObject({ status: 200, body: 'released\n' });
    // A branch with another manifest builds, and the project's manifest stays main's.
    await work.checkout('feature/no-release');
    await work.commit({ 'slipway.yaml': 'pipelines:\n  t:\n    jobs: [{ name: a, image: x }]\n' }, 'branch manifest');
    await work.push('feature/no-release');
    await build('relapp', ['--ref', 'feature/no-release', '--no-deploy']);
    const after = await w.run(['pipeline', 'show', '-w', ws, '-p', 'relapp', '--json']);
    expect(after.json()).toMatchObject({ source: 'git', commit: built.commit, release: [{ name: 'migrate' }], pipelines: [] });
  });

  it('builds a Dockerfile with buildah into Slipway\'s registry (no network in RUN), deploys it, and the same commit twice gives the same digest', async () => {
    await repoWith('docker', {
      Dockerfile: [`FROM ${w.host}/${ws}/base:static`, 'COPY index.html /usr/share/nginx/html/index.html', 'RUN echo "run step ran" > /usr/share/nginx/html/run.txt && (wget -q -T 2 -O- http://1.1.1.1/ >/dev/null 2>&1 && echo online || echo offline) > /usr/share/nginx/html/net.txt', ''].join('\n'),
      'index.html': '<h1>built by buildah</h1>\n',
    });
    await link('docker', 'docker');
    const first = await build('docker');
    expect(first).toMatchObject({ method: 'dockerfile', deploy: { environment: 'dev' } });
    await followDeploy(first.deploy?.deployment as string);
    expect(await viaProxy(w.proxyPort, domain('dev', 'docker'), '/index.html')).toMatchObject({ status: 200, body: '<h1>built by buildah</h1>\n' });
    expect((await viaProxy(w.proxyPort, domain('dev', 'docker'), '/run.txt')).body).toBe('run step ran\n');
    expect((await viaProxy(w.proxyPort, domain('dev', 'docker'), '/net.txt')).body).toBe('offline\n');

    // The base's layer was reused as the registry holds it (not recompressed), the new ones gzipped.
    const log = (await w.run(['git', 'builds', first.id, '-w', ws, '-p', 'docker', '--json'])).json<{ log: string }>().log;
    expect(log).toMatch(/layers, [1-9]\d* reused from the base/);
    // Rebuilt in another project linked to the same repository (its own repository, the same layer cache).
    await link('other', 'docker');
    const second = await build('other', ['--no-deploy']);
    expect(second.digest).toBe(first.digest);
    // And in the same project (the version tag already names that digest: accepted).
    const third = await build('docker', ['--no-deploy']);
    expect(third.digest).toBe(first.digest);
    // The image is in the project's repository, pullable with the version tag.
    const inspect = await w.docker(['manifest', 'inspect', '--insecure', `${w.host}/${ws}/docker:${first.version}`]).catch((e: Error) => e.message);
    expect(inspect).toContain('layers');
  });

  it('refuses bad URLs, internal hosts without the allow-list, a wrong credential and an unknown ref with clear codes, deploying nothing', async () => {
    for (const [url, code] of [
      ['ext::sh -c touch% /tmp/pwned', 'SLW_GIT_URL_INVALID'],
      ['file:///etc', 'SLW_GIT_URL_INVALID'],
      ['--upload-pack=touch /tmp/pwned', 'SLW_GIT_URL_INVALID'],
      ['git@github.com:org/repo.git', 'SLW_GIT_URL_INVALID'],
      ['ssh://git@example.com/repo.git', 'SLW_GIT_URL_INVALID'],
      ['https://user:secret@example.com/repo.git', 'SLW_GIT_URL_INVALID'],
      ['http://10.1.2.3/repo.git', 'SLW_GIT_HOST_REFUSED'],
      ['http://169.254.169.254/latest.git', 'SLW_GIT_HOST_REFUSED'],
    ] as const) {
      const r = await w.run(['git', 'link', '-w', ws, '-p', 'shop', '--json', '--', url]);
      expect(r.code, url).not.toBe(0);
      expect(r.stderr, url).toContain(code);
    }
    const shown = await w.run(['git', 'show', '-w', ws, '-p', 'shop', '--json']);
    expect(shown.stderr).toContain('SLW_GIT_NOT_LINKED');

    await git.createRepo('private');
    const work = await git.workdir('private');
    await work.commit({ 'index.html': 'x' });
    await work.push('main');
    const linked = await w.cli(['git', 'link', '-w', ws, '-p', 'shop', `${git.url}/private.git`, '--credential', '-', '--json'], 'wrong-token-value');
    expect(linked.code, linked.stderr).toBe(0);
    const denied = await w.run(['git', 'build', '-w', ws, '-p', 'shop', '--json']);
    expect(denied.stderr).toContain('SLW_GIT_AUTH_FAILED');
    expect(denied.stderr).not.toContain('wrong-token-value');
    // The credential was really sent (as a header), and refused.
    expect(git.requests.some((q) => q.path.startsWith('/private.git') && q.authorization !== undefined && !q.authenticated)).toBe(true);

    const relinked = await w.cli(['git', 'link', '-w', ws, '-p', 'shop', `${git.url}/private.git`, '--credential', '-', '--json'], git.token);
    expect(relinked.code).toBe(0);
    // Re-pointed at another origin without a credential: the stored one is dropped, never sent there.
    const moved = await w.run(['git', 'link', '-w', ws, '-p', 'shop', git.url.replace('127.0.0.1', 'localhost') + '/private.git', '--json']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.json()).toMatchObject({ credential: 'none' });
    const back = await w.cli(['git', 'link', '-w', ws, '-p', 'shop', `${git.url}/private.git`, '--credential', '-', '--json'], git.token);
    expect(back.json()).toMatchObject({ credential: 'set' });
    const unknown = await w.run(['git', 'build', '-w', ws, '-p', 'shop', '--ref', 'no-such-branch', '--json']);
    expect(unknown.stderr).toContain('SLW_GIT_REF_NOT_FOUND');
    const badRef = await w.run(['git', 'build', '-w', ws, '-p', 'shop', '--ref', '--upload-pack=x', '--json']);
    expect(badRef.code).not.toBe(0);
    const noSha = await w.run(['git', 'build', '-w', ws, '-p', 'shop', '--ref', 'f'.repeat(40), '--json']);
    expect(noSha.stderr).toMatch(/SLW_GIT_REF_NOT_FOUND|SLW_GIT_UNREACHABLE/);

    // Nothing was deployed to shop's dev by any of these.
    const releases = await w.run(['releases', '-w', ws, '-p', 'shop', '-e', 'dev', '--json']);
    expect(releases.stdout).not.toContain('git-');
    const builds = await w.run(['git', 'builds', '-w', ws, '-p', 'shop', '--json']);
    expect(builds.json<Array<{ status: string; error: string }>>().every((b) => b.status === 'failed' && b.error.startsWith('SLW_GIT_'))).toBe(true);
  });

  it('never shows the credential: not in API answers, the server log, or the database in plain text', async () => {
    const shown = await w.run(['git', 'show', '-w', ws, '-p', 'site', '--json']);
    expect(shown.json()).toMatchObject({ credential: 'set' });
    expect(shown.stdout).not.toContain(git.token);
    expect(w.server.logs()).not.toContain(git.token);
    const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? (f === 'registry' || f === 'buildah' ? [] : files(join(dir, f))) : statSync(join(dir, f)).isFile() ? [join(dir, f)] : []));
    for (const file of files(w.server.dataDir)) expect(readFileSync(file).includes(Buffer.from(git.token)), file).toBe(false);
  });
});
