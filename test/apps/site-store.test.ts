/**
 * Sites through the API on both store engines (an in-process server on SQLite, and on
 * PostgreSQL): creating sites of a project application (the version picked from the channel), the
 * one-query list with its state and a selector, the count of sites per version, label edits, the herd guard on removal and the
 * application's refusal to go while it has sites. No workload runs here (test/apps/sites.test.ts
 * deploys for real).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { errorCode, ok, type ApiResponse } from '../support/api.js';
import { engines } from '../support/engines.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { pushBlob, pushImage } from '../support/oci-push.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { openStore } from '../../src/store/open.js';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const base = '/api/v1/workspaces/acme/applications/shop-app/sites';

interface Site {
  name: string;
  version: string | null;
  state: string;
  labels: Record<string, string>;
  channel: string;
  policy: string;
  window: string | null;
  deploying: { id: string } | null;
}

function refused(res: ApiResponse, status: number, code: string): void {
  expect({ status: res.status, code: errorCode(res) }, res.text).toEqual({ status, code });
}

describe.each(engines)('sites on %s', (engine) => {
  let server: InProcessServer;
  let pgDb: TestDatabase | undefined;

  beforeAll(async () => {
    pgDb = engine === 'postgres' ? await createTestDatabase() : undefined;
    server = await startInProcessServer(pgDb ? { SLIPWAY_DATABASE_URL: pgDb.url } : {});
    ok(await server.admin.post('/api/v1/workspaces', { name: 'acme', tier: 'low' }));
    ok(await server.admin.post('/api/v1/workspaces/acme/projects', { name: 'shop' }));
    const t = { url: server.url, token: server.adminToken };
    for (const tag of ['1.0.0', '1.1.0', '1.2.0-beta.1']) {
      const layer = Buffer.from(`layer of ${tag}`);
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
      await pushBlob(t, 'acme/shop', layer);
      await pushBlob(t, 'acme/shop', config);
      await pushImage(t, 'acme/shop', tag, config, [layer]);
    }
    ok(await server.admin.post('/api/v1/workspaces/acme/applications', { name: 'shop-app', fromProject: 'shop' }));
  });

  afterAll(async () => {
    await server?.close();
    await pgDb?.drop();
  });

  it('creates sites on any tier, deploying the latest on their channel, and lists them in one query with a selector', async () => {
    // The low tier allows no custom environments; a site is not one.
    const beta = ok<{ site: Site; version: string; deployment: { id: string } }>(await server.admin.post(base, { name: 'tester', channel: 'beta', labels: { region: 'eu' } }));
    expect(beta.version).toBe('1.2.0-beta.1');
    expect(beta.site).toMatchObject({ name: 'tester', state: 'deploying', deploying: { id: beta.deployment.id }, version: null, channel: 'beta' });
    for (const [name, labels, policy] of [
      ['acme', { region: 'eu', plan: 'gold' }, 'continuous'],
      ['globex', { region: 'us', 'example.com/tier': 'a' }, 'manual'],
      ['initech', { region: 'eu', plan: 'free' }, 'staged'],
    ] as const) {
      const r = ok<{ site: Site; note: string }>(await server.admin.post(base, { name, labels, policy, window: '0 2 * * sun', deploy: false }));
      expect(r.site).toMatchObject({ name, labels, policy, window: '0 2 * * sun', state: 'not-deployed', deploying: null });
    }
    const all = ok<{ sites: Site[] }>(await server.admin.get(base)).sites;
    expect(all.map((s) => s.name)).toEqual(['acme', 'globex', 'initech', 'tester']);
    const pick = async (selector: string) => ok<{ sites: Site[] }>(await server.admin.get(`${base}?sites=${encodeURIComponent(selector)}`)).sites.map((s) => s.name);
    expect(await pick('region=eu,plan')).toEqual(['acme', 'initech']);
    expect(await pick('example.com/tier=a')).toEqual(['globex']);
    expect(await pick('channel=beta')).toEqual(['tester']);
    refused(await server.admin.get(`${base}?sites=${encodeURIComponent('a==b')}`), 400, 'SLW_INVALID_SELECTOR');
    refused(await server.admin.post(base, { name: 'tester', deploy: false }), 409, 'SLW_ALREADY_EXISTS');
    refused(await server.admin.post(base, { name: 'prod', deploy: false }), 400, 'SLW_INVALID_NAME');
    refused(await server.admin.post(base, { name: 'x', version: '1.0.0', deploy: false }), 400, 'SLW_VALIDATION');
    refused(await server.admin.post(base, { name: 'x', version: '2.0.0' }), 404, 'SLW_NOT_FOUND');
    refused(await server.admin.post(base, { name: 'x', labels: { policy: 'a' } }), 400, 'SLW_INVALID_LABEL');
    refused(await server.admin.post(base, { name: 'x', window: '* * * * * *' }), 400, 'SLW_VALIDATION');
    expect(ok<{ sites: Site[] }>(await server.admin.get(base)).sites).toHaveLength(4);
  });

  it('counts the sites of each version (the matrix of the panel), names capped', async () => {
    const app = '/api/v1/workspaces/acme/applications/shop-app';
    // No deploy runs here: every site is on no version yet.
    expect(ok(await server.admin.get(`${app}/versions/sites?names=2`))).toEqual({ application: 'shop-app', total: 4, versions: [{ version: null, sites: 4, names: ['acme', 'globex'] }] });
    expect(ok<{ versions: { names: string[] }[] }>(await server.admin.get(`${app}/versions/sites`)).versions[0]!.names).toEqual(['acme', 'globex', 'initech', 'tester']);
    refused(await server.admin.get(`${app}/versions/sites?names=501`), 400, 'SLW_VALIDATION');
    refused(await server.admin.get('/api/v1/workspaces/acme/applications/nosuch/versions/sites'), 404, 'SLW_NOT_FOUND');
  });

  it('edits labels, channel, policy and window', async () => {
    const s = ok<Site>(await server.admin.patch(`${base}/acme`, { labels: { set: { plan: 'platinum', tier: 'b' }, unset: ['region'] }, channel: 'rc', window: null }));
    expect(s).toMatchObject({ labels: { plan: 'platinum', tier: 'b' }, channel: 'rc', policy: 'continuous', window: null });
    refused(await server.admin.patch(`${base}/acme`, {}), 400, 'SLW_VALIDATION');
    refused(await server.admin.patch(`${base}/acme`, { labels: { set: { 'a.b': '1', 'a-b': '2' } } }), 400, 'SLW_INVALID_LABEL');
    refused(await server.admin.patch(`${base}/nosuch`, { policy: 'manual' }), 404, 'SLW_NOT_FOUND');
    expect(ok<Site>(await server.admin.get(`${base}/acme`)).labels).toEqual({ plan: 'platinum', tier: 'b' });
  });

  it('refuses to remove a site while a herd upgrade of its application is active, and the application while it has sites', async () => {
    const store = await openStore(pgDb ? { engine: 'postgres', url: pgDb.url } : { engine: 'sqlite', file: server.dbFile });
    try {
      const app = await store.db.selectFrom('applications').select(['id', 'workspace_id']).where('name', '=', 'shop-app').executeTakeFirstOrThrow();
      const now = new Date().toISOString();
      await store.db
        .insertInto('herd_upgrades')
        .values({ id: 'hup_store', workspace_id: app.workspace_id, application_id: app.id, active_key: app.id, to_version: '1.1.0', to_digest: 'sha256:x', selector: null, options: '{}', failure_budget: 0, failures: 0, state: 'paused', trigger: 'manual', reason: null, created_at: now, created_by: null, updated_at: now, finished_at: null, lease_owner: null, lease_until: null })
        .execute();
      refused(await server.admin.delete(`${base}/globex`), 409, 'SLW_HERD_BUSY');
      refused(await server.admin.delete('/api/v1/workspaces/acme/projects/shop/environments/globex'), 409, 'SLW_HERD_BUSY');
      await store.db.updateTable('herd_upgrades').set({ active_key: null, state: 'aborted' }).where('id', '=', 'hup_store').execute();
    } finally {
      await store.close();
    }
    expect(ok(await server.admin.delete(`${base}/globex`))).toEqual({ deleted: 'globex' });
    // env delete removes a site's row too.
    ok(await server.admin.delete('/api/v1/workspaces/acme/projects/shop/environments/initech'));
    expect(ok<{ sites: Site[] }>(await server.admin.get(base)).sites.map((s) => s.name)).toEqual(['acme', 'tester']);
    refused(await server.admin.delete('/api/v1/workspaces/acme/applications/shop-app'), 409, 'SLW_HAS_SITES');
  });
});
