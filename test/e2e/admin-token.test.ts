/**
 * `slipway admin token`: the first admin's token rotated offline, with the server running (the
 * old token is refused at once) and stopped, on SQLite and on PostgreSQL; the token never on
 * stdout unless asked; a data dir without a store refused. And the same through the API.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, errorCode, ok } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { cleanup, cli, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';
import { openStore } from '../../src/store/open.js';
import { bootstrapFirstAdmin } from '../../src/tenancy/bootstrap.js';
import { authenticate } from '../../src/tenancy/tokens.js';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServerProcess();
});
afterAll(async () => {
  await server?.stop();
  await cleanup();
});

const tokenFile = (dir: string) => join(dir, 'admin-token');
const readToken = (dir: string) => readFileSync(tokenFile(dir), 'utf8').trim();

describe('slipway admin token (offline rotation)', () => {
  it('with the server running: a new token in the file (0600), the old one refused from the next request, nothing secret on stdout', async () => {
    const old = server.adminToken;
    expect(ok<{ user: { instanceAdmin: boolean } }>(await apiClient(server.url, old).get('/api/v1/whoami')).user.instanceAdmin).toBe(true);
    const r = await cli(['admin', 'token', '--data-dir', server.dataDir]);
    expect(r.code, r.stderr).toBe(0);
    const fresh = readToken(server.dataDir);
    expect(fresh).not.toBe(old);
    expect(statSync(tokenFile(server.dataDir)).mode & 0o777).toBe(0o600);
    expect(r.stdout).toContain(tokenFile(server.dataDir));
    expect(r.stdout + r.stderr).not.toContain(fresh);
    expect(r.stdout + r.stderr).not.toContain(old);

    const refused = await apiClient(server.url, old).get('/api/v1/whoami');
    expect(refused.status).toBe(401);
    expect(errorCode(refused)).toBe('SLW_TOKEN_REVOKED');
    expect(ok<{ user: { instanceAdmin: boolean } }>(await apiClient(server.url, fresh).get('/api/v1/whoami')).user.instanceAdmin).toBe(true);
  });

  it('--json tells where the token is and what was revoked; --print adds the token itself', async () => {
    const before = readToken(server.dataDir);
    const plain = await cli(['admin', 'token', '--data-dir', server.dataDir, '--json']);
    const doc = plain.json<{ file: string; tokenId: string; revoked: string[]; token?: string }>();
    expect(doc).toMatchObject({ file: tokenFile(server.dataDir), revoked: [expect.stringMatching(/^tok_/)] });
    expect(doc.token).toBeUndefined();
    expect(plain.stdout).not.toContain(readToken(server.dataDir));

    const printed = await cli(['admin', 'token', '--data-dir', server.dataDir, '--json', '--print', '--expires-in', '30d']);
    const withToken = printed.json<{ token: string; expiresAt: string }>();
    expect(withToken.token).toBe(readToken(server.dataDir));
    expect(Date.parse(withToken.expiresAt)).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const text = await cli(['admin', 'token', '--data-dir', server.dataDir, '--print']);
    expect(text.stdout.trim().split('\n').pop()).toBe(readToken(server.dataDir));
    for (const t of [before, withToken.token]) expect((await apiClient(server.url, t).get('/api/v1/whoami')).status).toBe(401);
  });

  it('refuses a data dir without a store, creating nothing', async () => {
    const empty = tempDir();
    const r = await cli(['admin', 'token', '--data-dir', empty]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error SLW_USAGE: no Slipway database in /);
    expect(existsSync(tokenFile(empty))).toBe(false);
    expect(existsSync(join(empty, 'slipway.db'))).toBe(false);
  });

  it('with the server stopped, and the server starts with the new token', async () => {
    const dataDir = tempDir();
    const first = await startServerProcess({ dataDir });
    const old = first.adminToken;
    await first.stop();
    const r = await cli(['admin', 'token', '--data-dir', dataDir]);
    expect(r.code, r.stderr).toBe(0);
    const again = await startServerProcess({ dataDir });
    try {
      expect(again.adminToken).not.toBe(old);
      expect((await apiClient(again.url, old).get('/api/v1/whoami')).status).toBe(401);
      expect(ok<{ user: { instanceAdmin: boolean } }>(await apiClient(again.url, again.adminToken).get('/api/v1/whoami')).user.instanceAdmin).toBe(true);
    } finally {
      await again.stop();
    }
  });

  it('on PostgreSQL with --database-url', async () => {
    let pgdb: TestDatabase | undefined;
    try {
      pgdb = await createTestDatabase();
      const store = await openStore({ engine: 'postgres', url: pgdb.url });
      const boot = await bootstrapFirstAdmin(store.db);
      const dataDir = tempDir();
      const r = await cli(['admin', 'token', '--data-dir', dataDir, '--database-url', pgdb.url, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json<{ store: string }>().store).toMatch(/^PostgreSQL /);
      await expect(authenticate(store.db, `Bearer ${boot?.token}`)).rejects.toMatchObject({ code: 'SLW_TOKEN_REVOKED' });
      expect((await authenticate(store.db, `Bearer ${readToken(dataDir)}`)).instanceAdmin).toBe(true);
      await store.close();
    } finally {
      await pgdb?.drop();
    }
  });
});

describe('instance tokens through the API', () => {
  it('an instance admin rotates their token in one step and revokes others; a workspace token cannot', async () => {
    const admin = apiClient(server.url, readToken(server.dataDir));
    const made = ok<{ id: string; token: string }>(await admin.post('/api/v1/instance/tokens', { name: 'automation' }));
    const rotated = await cli(['admin', 'tokens', 'create', '--replace', 'current', '--name', 'automation', '--json'], { server: server.url, token: made.token });
    const next = rotated.json<{ id: string; token: string; replaced: string }>();
    expect(next.replaced).toBe(made.id);
    expect((await apiClient(server.url, made.token).get('/api/v1/whoami')).status).toBe(401);
    const listed = await cli(['admin', 'tokens', 'list', '--json'], { server: server.url, token: next.token });
    expect(listed.json<{ tokens: Array<{ id: string; revokedAt: string | null }> }>().tokens.find((t) => t.id === made.id)?.revokedAt).not.toBeNull();
    expect(listed.stdout).not.toContain(next.token);
    const revoked = await cli(['admin', 'tokens', 'revoke', next.id, '--json'], { server: server.url, token: readToken(server.dataDir) });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await apiClient(server.url, next.token).get('/api/v1/whoami')).status).toBe(401);

    ok(await admin.post('/api/v1/workspaces', { name: 'acme', tier: 'low' }));
    const wsToken = ok<{ token: string }>(await admin.post('/api/v1/workspaces/acme/tokens', { role: 'owner' }));
    const refused = await apiClient(server.url, wsToken.token).get('/api/v1/instance/tokens');
    expect(refused.status).toBe(403);
    expect(errorCode(refused)).toBe('SLW_WORKSPACE_TOKEN_SCOPE');
  });
});
