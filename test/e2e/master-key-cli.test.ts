/**
 * `slipway admin master-key` on a real server's data directory: refused with SLW_DATA_DIR_LOCKED
 * while the server runs (nothing changed); once it is stopped, the key file is replaced (0600),
 * the secret set before is counted as sealed again, no key is ever printed (text or --json), and
 * the server starts again on the rotated directory (its key check and CA key open). That the
 * values open is checked in master-key-rotation.test.ts beside it.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient, ok } from '../support/api.js';
import { cleanup, cli, startServerProcess } from '../support/server-process.js';

afterAll(() => cleanup());

describe('slipway admin master-key', () => {
  it('is refused while the server runs, rotates once it is stopped, and the server starts on the rotated directory', async () => {
    const server = await startServerProcess();
    const keyFile = join(server.dataDir, 'master.key');
    const old = readFileSync(keyFile, 'utf8');
    const api = apiClient(server.url, server.adminToken);
    ok(await api.post('/api/v1/workspaces', { name: 'acme', tier: 'high' }));
    ok(await api.post('/api/v1/workspaces/acme/projects', { name: 'shop' }));
    ok(await api.put('/api/v1/workspaces/acme/projects/shop/secrets/API_KEY', { value: 'before-rotation' }));

    const refused = await cli(['admin', 'master-key', '--data-dir', server.dataDir]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('SLW_DATA_DIR_LOCKED');
    expect(readFileSync(keyFile, 'utf8')).toBe(old);
    await server.stop();

    const r = await cli(['admin', 'master-key', '--data-dir', server.dataDir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json<{ keyFile: string; resealed: Record<string, number>; caKey: string }>();
    expect(doc).toMatchObject({ keyFile, caKey: 'resealed' });
    expect(doc.resealed['secret versions']).toBe(1);
    const fresh = readFileSync(keyFile, 'utf8');
    expect(fresh).not.toBe(old);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(r.stdout + r.stderr).not.toContain(fresh.trim());
    expect(r.stdout + r.stderr).not.toContain(old.trim());
    const text = await cli(['admin', 'master-key', '--data-dir', server.dataDir]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`${keyFile} now holds the new key`);
    expect(text.stdout + text.stderr).not.toContain(readFileSync(keyFile, 'utf8').trim());

    const again = await startServerProcess({ dataDir: server.dataDir });
    try {
      const secrets = ok<{ secrets: Array<{ name: string; version: number }> }>(await apiClient(again.url, again.adminToken).get('/api/v1/workspaces/acme/projects/shop/secrets'));
      expect(secrets.secrets.map((s) => s.name)).toEqual(['API_KEY']);
    } finally {
      await again.stop();
    }
  });
});
