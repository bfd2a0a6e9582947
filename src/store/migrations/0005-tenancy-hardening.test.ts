import { Migrator, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLayer } from '../../config/config.js';
import { engines } from '../../../test/support/engines.js';
import { openOld } from '../../../test/support/old-store.js';
import type { ConfigLayersTable, Database, MembersTable } from '../schema.js';
import { migrationProvider } from './index.js';

const at = '2026-01-01T00:00:00.000Z';

/** The tables as they were before this migration. */
type OldDatabase = Omit<Database, 'config_layers' | 'members'> & { config_layers: Omit<ConfigLayersTable, 'kind' | 'changes'>; members: Omit<MembersTable, 'name'> };

describe.each(engines)('migration 0005 on %s', (engine) => {
  let db: Kysely<Database>;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ db, cleanup } = await openOld(engine));
  });
  afterEach(() => cleanup());

  /** Old rows: users, two workspaces, a project each, environments, settings, full-copy config versions. */
  async function seed(): Promise<Array<Record<string, string>>> {
    const old = db as unknown as Kysely<OldDatabase>;
    await db.insertInto('users').values([
      { id: 'usr_1', email: 'owner@acme.test', name: 'Acme Owner', instance_admin: 1, created_at: at },
      { id: 'usr_2', email: 'bob@example.com', name: 'Bob (set by acme)', instance_admin: 0, created_at: at },
    ]).execute();
    await db.insertInto('workspaces').values([
      { id: 'ws_a', name: 'acme', tier: 'high', created_at: at, updated_at: at },
      { id: 'ws_m', name: 'mallory', tier: 'high', created_at: at, updated_at: at },
    ]).execute();
    await old.insertInto('members').values([
      { workspace_id: 'ws_a', user_id: 'usr_1', role: 'owner', created_at: at },
      { workspace_id: 'ws_a', user_id: 'usr_2', role: 'viewer', created_at: at },
    ]).execute();
    await db.insertInto('projects').values([
      { id: 'prj_a', workspace_id: 'ws_a', name: 'shop', config_version: 40, created_at: at },
      { id: 'prj_m', workspace_id: 'ws_m', name: 'web', config_version: 0, created_at: at },
    ]).execute();
    await db.insertInto('environments').values([
      { id: 'env_a1', project_id: 'prj_a', name: 'prod', kind: 'standard', created_at: at },
      { id: 'env_a2', project_id: 'prj_a', name: 'dev', kind: 'standard', created_at: at },
      { id: 'env_m1', project_id: 'prj_m', name: 'prod', kind: 'standard', created_at: at },
      { id: 'env_m2', project_id: 'prj_m', name: 'dev', kind: 'standard', created_at: at },
    ]).execute();
    await db.insertInto('environment_settings').values([
      { environment_id: 'env_a1', data: JSON.stringify({ domain: 'shop.example.com', replicas: 2 }), updated_at: '2026-01-01T00:00:01.000Z' },
      // mallory squats acme's default-domain space, and takes a domain acme already holds
      { environment_id: 'env_m1', data: JSON.stringify({ domain: 'staging.shop.acme.localhost', port: 3000 }), updated_at: '2026-01-01T00:00:02.000Z' },
      { environment_id: 'env_m2', data: JSON.stringify({ domain: 'shop.example.com' }), updated_at: '2026-01-01T00:00:03.000Z' },
    ]).execute();
    // 40 versions of acme/shop: full copies, as before this migration
    const layers: Array<Record<string, string>> = [];
    let base: Record<string, string> = {};
    let prod: Record<string, string> = {};
    for (let v = 1; v <= 40; v++) {
      const env = v % 4 === 0 ? null : 'env_a1';
      const layer = env ? prod : base;
      const next = { ...layer, [`K_${v % 9}`]: `v${v}-${'x'.repeat(v * 10)}` };
      if (v % 6 === 0) delete next[`K_${(v + 3) % 9}`];
      const sorted = Object.fromEntries(Object.entries(next).sort(([a], [b]) => (a < b ? -1 : 1)));
      if (env) prod = sorted;
      else base = sorted;
      layers.push(sorted);
      await old.insertInto('config_layers').values({ id: `cfg_${String(v).padStart(3, '0')}`, project_id: 'prj_a', environment_id: env, version: v, data: JSON.stringify(sorted), created_at: at, created_by: 'usr_1' }).execute();
    }
    return layers;
  }

  it('keeps every config version exact, stores deltas, and records what each changed', async () => {
    const layers = await seed();
    const bytesBefore = (await db.selectFrom('config_layers').select('data').execute()).reduce((n, r) => n + r.data.length, 0);
    const r = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    expect(r.error).toBeUndefined();

    for (let v = 1; v <= 40; v++) {
      const env = v % 4 === 0 ? null : 'env_a1';
      const layer = await readLayer(db, 'prj_a', env, v);
      expect(layer, `version ${v}`).toEqual({ version: v, data: layers[v - 1] });
    }
    const rows = await db.selectFrom('config_layers').select(['version', 'kind', 'data', 'changes', 'environment_id']).orderBy('version').execute();
    expect(rows.filter((x) => x.kind === 'full').map((x) => x.version)).toEqual([1, 4]);
    const bytesAfter = rows.reduce((n, x) => n + x.data.length, 0);
    expect(bytesAfter).toBeLessThan(bytesBefore / 3);
    const changes = (v: number) => JSON.parse(rows[v - 1]?.changes ?? '') as unknown;
    expect(changes(6)).toEqual({ added: ['K_6'], changed: [], removed: [] });
    expect(changes(10)).toEqual({ added: [], changed: ['K_1'], removed: [] });
    expect(changes(18)).toEqual({ added: [], changed: ['K_0'], removed: ['K_3'] });
    expect(rows[17]?.kind).toBe('delta');
    expect(JSON.parse(rows[17]?.data ?? '')).toEqual({ K_0: layers[17]?.K_0 });
  });

  it('indexes custom domains and drops squatted or duplicate ones, with an audit event', async () => {
    await seed();
    expect((await new Migrator({ db, provider: migrationProvider }).migrateToLatest()).error).toBeUndefined();
    expect(await db.selectFrom('domains').select(['domain', 'environment_id', 'workspace_id']).execute()).toEqual([{ domain: 'shop.example.com', environment_id: 'env_a1', workspace_id: 'ws_a' }]);
    const settings = Object.fromEntries((await db.selectFrom('environment_settings').select(['environment_id', 'data']).execute()).map((s) => [s.environment_id, JSON.parse(s.data) as unknown]));
    expect(settings).toEqual({ env_a1: { domain: 'shop.example.com', replicas: 2 }, env_m1: { port: 3000 }, env_m2: {} });
    const events = await db.selectFrom('audit_events').select(['workspace_id', 'action', 'target', 'details']).orderBy('target').execute();
    expect(events.map((e) => ({ ...e, details: JSON.parse(e.details) as unknown }))).toEqual([
      { workspace_id: 'ws_m', action: 'environment.domain.drop', target: 'web/dev', details: { domain: 'shop.example.com', reason: 'already held by another environment' } },
      { workspace_id: 'ws_m', action: 'environment.domain.drop', target: 'web/prod', details: { domain: 'staging.shop.acme.localhost', reason: 'reserved to another workspace or environment' } },
    ]);
    // deleting an environment frees its domain
    await db.insertInto('domains').values({ domain: 'dev.example.com', environment_id: 'env_a2', workspace_id: 'ws_a', created_at: at }).execute();
    await db.deleteFrom('environments').where('id', '=', 'env_a2').execute();
    expect(await db.selectFrom('domains').select('domain').execute()).toEqual([{ domain: 'shop.example.com' }]);
  });

  it("gives each member the workspace's own display name, filled from the user's", async () => {
    await seed();
    expect((await new Migrator({ db, provider: migrationProvider }).migrateToLatest()).error).toBeUndefined();
    const members = await db.selectFrom('members').select(['user_id', 'name']).orderBy('user_id').execute();
    expect(members).toEqual([
      { user_id: 'usr_1', name: 'Acme Owner' },
      { user_id: 'usr_2', name: 'Bob (set by acme)' },
    ]);
  });
});
