/** The test git server: smart HTTP through git http-backend, token auth, v2, receive hooks. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { git, startGitServer, zeroSha, type ReceiveEvent } from './git-server.js';
import { cleanup, tempDir } from './server-process.js';

afterAll(cleanup);

describe('test git server', () => {
  it('serves pushes and shallow fetches by sha over smart HTTP v2, with a token, and reports ref updates', async () => {
    const server = await startGitServer();
    try {
      const events: ReceiveEvent[] = [];
      server.onReceive((e) => {
        events.push(e);
      });
      await server.createRepo('app');
      const work = await server.workdir('app');
      const first = await work.commit({ 'index.html': '<h1>one</h1>' }, 'one');
      await work.push('main');
      const second = await work.commit({ 'index.html': '<h1>two</h1>' }, 'two');
      await work.push('main');
      await work.checkout('feature/x');
      await work.push();
      await work.tag('v1.0.0', { sha: first });
      await work.deleteBranch('feature/x');
      expect(events.map((e) => e.updates)).toEqual([
        [{ ref: 'refs/heads/main', before: zeroSha, after: first }],
        [{ ref: 'refs/heads/main', before: first, after: second }],
        [{ ref: 'refs/heads/feature/x', before: zeroSha, after: second }],
        [{ ref: 'refs/tags/v1.0.0', before: zeroSha, after: first }],
        [{ ref: 'refs/heads/feature/x', before: second, after: zeroSha }],
      ]);

      // One old commit, cheaply, with the token in a header from the environment.
      const dir = tempDir();
      mkdirSync(join(dir, 'c'));
      const c = join(dir, 'c');
      const header = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Bearer ${server.token}` };
      await git(c, ['init', '--quiet']);
      await git(c, ['fetch', '--quiet', '--depth', '1', '--no-tags', `${server.url}/app.git`, first], header);
      expect((await git(c, ['rev-parse', 'FETCH_HEAD'])).trim()).toBe(first);
      expect((await git(c, ['show', 'FETCH_HEAD:index.html'])).trim()).toBe('<h1>one</h1>');
      expect(server.requests.some((r) => r.gitProtocol === 'version=2' && r.authenticated)).toBe(true);

      // Without the token: refused.
      await expect(git(c, ['fetch', '--quiet', '--depth', '1', `${server.url}/app.git`, 'main'])).rejects.toThrow(/Authentication failed|could not read Username|401/);
      await expect(git(c, ['fetch', '--quiet', `${server.url}/app.git`, 'main'], { ...header, GIT_CONFIG_VALUE_0: 'Authorization: Bearer wrong' })).rejects.toThrow();
    } finally {
      await server.close();
    }
  });

  it('serves anonymous fetches when readAuth is off, pushes still need the token', async () => {
    const server = await startGitServer({ readAuth: false });
    try {
      await server.createRepo('open');
      const work = await server.workdir('open');
      const sha = await work.commit({ a: '1' });
      await work.push('main');
      const c = tempDir();
      await git(c, ['init', '--quiet']);
      await git(c, ['fetch', '--quiet', '--depth', '1', `${server.url}/open.git`, sha]);
      await expect(git(c, ['push', `${server.url}/open.git`, 'FETCH_HEAD:refs/heads/other'])).rejects.toThrow();
    } finally {
      await server.close();
    }
  });
});
