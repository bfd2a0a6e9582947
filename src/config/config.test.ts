import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';
import { engines } from '../../test/support/engines.js';
import { auditCount, environment, expectCode, project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { sql } from 'kysely';
import { configLimits } from '../core/config.js';
import { changeConfig, configHistory, configHistoryPage, readBaseConfig, readLayer, resolveEnvironmentConfig } from './config.js';

const set = (values: Record<string, string>) => ({ set: values, unset: [] });

async function projectVersion(ctx: TestContext, access: ProjectAccess): Promise<number> {
  const row = await ctx.db.selectFrom('projects').select('config_version').where('id', '=', access.project.id).executeTakeFirstOrThrow();
  return Number(row.config_version);
}

describe.each(engines)('config on %s', (engine) => {
  let ctx: TestContext;
  let shop: ProjectAccess;
  let dev: EnvironmentAccess;
  let prod: EnvironmentAccess;
  beforeEach(async () => {
    ctx = await setupContext(engine);
    shop = await project(ctx, await workspace(ctx, 'acme', 'high'), 'shop');
    dev = await environment(ctx, shop, 'dev');
    prod = await environment(ctx, shop, 'prod');
  });
  afterEach(() => ctx.cleanup());

  it('resolves the environment layer over the base, naming each layer', async () => {
    expect(await resolveEnvironmentConfig(ctx.db, prod)).toEqual({ version: 0, entries: [] });
    await changeConfig(ctx.db, shop, set({ LOG_LEVEL: 'info', REGION: 'eu' }));
    await changeConfig(ctx.db, prod, set({ LOG_LEVEL: 'warn', JAVA_OPTS: '-Xmx512m' }));
    await changeConfig(ctx.db, dev, set({ DEBUG: '1' }));
    expect(await resolveEnvironmentConfig(ctx.db, prod)).toEqual({
      version: 2,
      entries: [
        { key: 'JAVA_OPTS', value: '-Xmx512m', layer: 'environment' },
        { key: 'LOG_LEVEL', value: 'warn', layer: 'environment' },
        { key: 'REGION', value: 'eu', layer: 'base' },
      ],
    });
    expect((await resolveEnvironmentConfig(ctx.db, dev)).entries).toEqual([
      { key: 'DEBUG', value: '1', layer: 'environment' },
      { key: 'LOG_LEVEL', value: 'info', layer: 'base' },
      { key: 'REGION', value: 'eu', layer: 'base' },
    ]);
    expect(await readBaseConfig(ctx.db, shop)).toEqual({
      version: 1,
      entries: [
        { key: 'LOG_LEVEL', value: 'info', layer: 'base' },
        { key: 'REGION', value: 'eu', layer: 'base' },
      ],
    });
  });

  it('bumps the project config version on every real change and never on a no-op', async () => {
    const audits = await auditCount(ctx.db, shop.workspace.id);
    expect(await changeConfig(ctx.db, shop, set({ A: '1' }))).toEqual({ version: 1, changed: true, keys: ['A'] });
    expect(await changeConfig(ctx.db, prod, set({ B: '2' }))).toEqual({ version: 2, changed: true, keys: ['B'] });
    expect(await changeConfig(ctx.db, shop, { set: { A: '1' }, unset: ['MISSING'] })).toEqual({ version: 1, changed: false, keys: ['A', 'MISSING'] });
    expect(await changeConfig(ctx.db, prod, set({ B: '2' }))).toMatchObject({ version: 2, changed: false });
    expect(await projectVersion(ctx, shop)).toBe(2);
    expect(await auditCount(ctx.db, shop.workspace.id)).toBe(audits + 2);
    expect(await changeConfig(ctx.db, dev, set({ B: '2' }))).toMatchObject({ version: 3, changed: true });
    expect(await changeConfig(ctx.db, shop, { set: {}, unset: ['A'] })).toMatchObject({ version: 4, changed: true });
    expect(await changeConfig(ctx.db, shop, set({ A: '' }))).toMatchObject({ version: 5, changed: true });
    expect(await projectVersion(ctx, shop)).toBe(5);
    const rows = await ctx.db.selectFrom('config_layers').select('version').where('project_id', '=', shop.project.id).orderBy('version').execute();
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4, 5]);
    expect(await auditCount(ctx.db, shop.workspace.id)).toBe(audits + 5);
  });

  it('refuses bad keys without storing anything', async () => {
    await changeConfig(ctx.db, shop, set({ A: '1' }));
    await expectCode(() => changeConfig(ctx.db, shop, set({ A: '2', 'BAD-KEY': 'x' })), 'SLW_INVALID_KEY');
    await expectCode(() => changeConfig(ctx.db, shop, { set: {}, unset: ['1BAD'] }), 'SLW_INVALID_KEY');
    expect(await readLayer(ctx.db, shop.project.id, null)).toEqual({ version: 1, data: { A: '1' } });
    expect(await projectVersion(ctx, shop)).toBe(1);
  });

  it('resolves an old version again, so a release can snapshot it', async () => {
    await changeConfig(ctx.db, shop, set({ LOG_LEVEL: 'info' })); // 1
    await changeConfig(ctx.db, prod, set({ JAVA_OPTS: '-Xmx256m' })); // 2
    const snapshot = (await resolveEnvironmentConfig(ctx.db, prod)).version;
    await changeConfig(ctx.db, prod, set({ JAVA_OPTS: '-Xmx512m', NEW: 'x' })); // 3
    await changeConfig(ctx.db, shop, { set: { REGION: 'us' }, unset: ['LOG_LEVEL'] }); // 4
    await changeConfig(ctx.db, dev, set({ OTHER: 'y' })); // 5

    expect(snapshot).toBe(2);
    expect(await resolveEnvironmentConfig(ctx.db, prod, snapshot)).toEqual({
      version: 2,
      entries: [
        { key: 'JAVA_OPTS', value: '-Xmx256m', layer: 'environment' },
        { key: 'LOG_LEVEL', value: 'info', layer: 'base' },
      ],
    });
    expect(await resolveEnvironmentConfig(ctx.db, prod, 1)).toEqual({ version: 1, entries: [{ key: 'LOG_LEVEL', value: 'info', layer: 'base' }] });
    expect(await resolveEnvironmentConfig(ctx.db, prod, 0)).toEqual({ version: 0, entries: [] });
    expect((await resolveEnvironmentConfig(ctx.db, prod, 3)).entries.map((e) => `${e.key}=${e.value}`)).toEqual(['JAVA_OPTS=-Xmx512m', 'LOG_LEVEL=info', 'NEW=x']);
    expect(await resolveEnvironmentConfig(ctx.db, prod)).toEqual(await resolveEnvironmentConfig(ctx.db, prod, 5));
    expect((await resolveEnvironmentConfig(ctx.db, prod)).entries.map((e) => `${e.key}=${e.value}`)).toEqual(['JAVA_OPTS=-Xmx512m', 'NEW=x', 'REGION=us']);
    expect((await resolveEnvironmentConfig(ctx.db, prod)).version).toBe(4);
  });

  it('lists added, changed and removed keys per version, newest first', async () => {
    await changeConfig(ctx.db, shop, set({ A: '1', B: '2' })); // 1
    await changeConfig(ctx.db, prod, set({ P: 'x' })); // 2
    await changeConfig(ctx.db, shop, { set: { A: '10', C: '3' }, unset: ['B'] }); // 3
    await changeConfig(ctx.db, dev, set({ D: 'd' })); // 4, another environment
    await changeConfig(ctx.db, prod, { set: {}, unset: ['P'] }); // 5

    const history = await configHistory(ctx.db, prod, 50);
    expect(history.map(({ version, layer, added, changed, removed }) => ({ version, layer, added, changed, removed }))).toEqual([
      { version: 5, layer: 'environment', added: [], changed: [], removed: ['P'] },
      { version: 3, layer: 'base', added: ['C'], changed: ['A'], removed: ['B'] },
      { version: 2, layer: 'environment', added: ['P'], changed: [], removed: [] },
      { version: 1, layer: 'base', added: ['A', 'B'], changed: [], removed: [] },
    ]);
    expect(history.every((h) => h.by === ctx.admin.email && typeof h.at === 'string')).toBe(true);
    expect((await configHistory(ctx.db, prod, 2)).map((h) => h.version)).toEqual([5, 3]);
    expect((await configHistory(ctx.db, shop, 50)).map((h) => h.version)).toEqual([3, 1]);
    expect((await configHistory(ctx.db, dev, 50)).map((h) => h.version)).toEqual([4, 3, 1]);
  });

  it('loses no key and skips no version under 20 concurrent changes of one layer', async () => {
    const n = 20;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => changeConfig(ctx.db, prod, set({ [`KEY_${i}`]: String(i) }))));
    expect(results.every((r) => r.changed)).toBe(true);
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const layer = await readLayer(ctx.db, shop.project.id, prod.environment.id);
    expect(layer.version).toBe(n);
    expect(layer.data).toEqual(Object.fromEntries(Array.from({ length: n }, (_, i) => [`KEY_${i}`, String(i)])));
    expect(await projectVersion(ctx, shop)).toBe(n);
    const history = await configHistory(ctx.db, prod, 100);
    expect(history.map((h) => h.version)).toEqual(Array.from({ length: n }, (_, i) => n - i));
    expect(history.every((h) => h.added.length === 1 && h.changed.length === 0 && h.removed.length === 0)).toBe(true);
  });

  it('keeps versions consecutive when concurrent changes hit different layers of one project', async () => {
    const staging = await environment(ctx, shop, 'staging');
    const layers = [shop, dev, prod, staging];
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => changeConfig(ctx.db, layers[i % layers.length] ?? shop, set({ [`K_${i}`]: 'v' }))));
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    const layerIds = [null, dev.environment.id, prod.environment.id, staging.environment.id];
    for (const [i, envId] of layerIds.entries()) {
      const data = (await readLayer(ctx.db, shop.project.id, envId)).data;
      expect(Object.keys(data).sort()).toEqual([0, 1, 2, 3].map((j) => `K_${j * 4 + i}`).sort());
    }
  });

  it('refuses NUL and other control characters in values, storing nothing', async () => {
    await changeConfig(ctx.db, shop, set({ A: '1' }));
    for (const value of ['a\u0000b', '\u0000', 'bell\u0007', 'esc\u001b[31m']) {
      const err = await expectCode(() => changeConfig(ctx.db, prod, set({ B: 'ok', C: value })), 'SLW_INVALID_VALUE');
      expect(err.message).toContain('value of C');
    }
    expect(await projectVersion(ctx, shop)).toBe(1);
    expect((await changeConfig(ctx.db, prod, set({ PEM: '-----BEGIN-----\r\n\tline\n-----END-----' }))).changed).toBe(true);
  });

  /** Bytes the store takes: the SQLite file after a checkpoint, or the table with its TOAST on PostgreSQL. */
  async function storeBytes(): Promise<number> {
    if (ctx.engine === 'sqlite') {
      await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(ctx.db);
      const main = (await sql<{ name: string; file: string }>`PRAGMA database_list`.execute(ctx.db)).rows.find((r) => r.name === 'main');
      return statSync(main?.file ?? '').size;
    }
    const r = await sql<{ n: string }>`SELECT pg_total_relation_size('config_layers')::text AS n`.execute(ctx.db);
    return Number(r.rows[0]?.n);
  }

  it('stores small changes to a large layer compactly and still resolves every version exactly', async () => {
    // About 850 KB of incompressible values, then 30 one-key changes: a full copy per change
    // grew the store by 25 MB; deltas grow it by a few KB.
    const big = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`BLOB_${i}`, randomBytes(30_000).toString('hex')]));
    expect(Object.values(big).every((v) => v.length <= configLimits.valueBytes)).toBe(true);
    await changeConfig(ctx.db, shop, set({ LOG_LEVEL: 'info' }));
    await changeConfig(ctx.db, prod, set(big));
    const expected = new Map<number, Record<string, string>>();
    let layer: Record<string, string> = { ...big };
    const before = await storeBytes();
    const small: string[] = [];
    for (let i = 0; i < 30; i++) {
      const unset = i % 5 === 4 ? small.pop() : undefined;
      const change = unset ? { set: {}, unset: [unset] } : i % 7 === 6 ? set({ [`BLOB_${i % 14}`]: `short-${i}` }) : set({ [`SMALL_${i}`]: `value-${i}` });
      if (!unset && i % 7 !== 6) small.push(`SMALL_${i}`);
      const r = await changeConfig(ctx.db, prod, change);
      expect(r.changed).toBe(true);
      layer = { ...layer, ...change.set };
      for (const k of change.unset) delete layer[k];
      expected.set(r.version, { ...layer, LOG_LEVEL: 'info' });
    }
    const grown = (await storeBytes()) - before;
    expect(grown).toBeLessThan(1024 * 1024);
    for (const [version, entries] of expected) {
      const resolved = await resolveEnvironmentConfig(ctx.db, prod, version);
      expect(resolved.version).toBe(version);
      expect(Object.fromEntries(resolved.entries.map((e) => [e.key, e.value]))).toEqual(entries);
    }
    const kinds = await ctx.db.selectFrom('config_layers').select(['kind']).where('environment_id', '=', prod.environment.id).orderBy('version').execute();
    expect(kinds.map((k) => k.kind)).toEqual(['full', ...Array.from({ length: 30 }, () => 'delta')]);
  });

  it('starts a new full copy when the deltas outgrow it, and resolves across chains', async () => {
    const expected = new Map<number, Record<string, string>>();
    let layer: Record<string, string> = {};
    for (let i = 0; i < 260; i++) {
      const r = await changeConfig(ctx.db, dev, set({ [`K_${i % 40}`]: `v${i}` }));
      layer = { ...layer, [`K_${i % 40}`]: `v${i}` };
      expected.set(r.version, { ...layer });
    }
    const kinds = (await ctx.db.selectFrom('config_layers').select('kind').where('environment_id', '=', dev.environment.id).execute()).map((k) => k.kind);
    expect(kinds.filter((k) => k === 'full').length).toBeGreaterThanOrEqual(3);
    for (const [version, data] of expected) expect((await readLayer(ctx.db, shop.project.id, dev.environment.id, version)).data).toEqual(data);
  });

  it('pages the history in SQL with a cursor', async () => {
    for (let i = 0; i < 23; i++) await changeConfig(ctx.db, i % 3 === 0 ? shop : prod, set({ [`K_${i}`]: 'v' }));
    await changeConfig(ctx.db, dev, set({ OTHER: 'x' }));
    const all = (await configHistory(ctx.db, prod, 500)).map((h) => h.version);
    expect(all).toEqual(Array.from({ length: 23 }, (_, i) => 23 - i));
    const seen: number[] = [];
    let before: number | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await configHistoryPage(ctx.db, prod, 5, before);
      seen.push(...page.versions.map((v) => v.version));
      if (page.next === null) break;
      expect(page.versions).toHaveLength(5);
      before = page.next;
    }
    expect(seen).toEqual(all);
    expect(await configHistoryPage(ctx.db, prod, 5, 1)).toEqual({ versions: [], next: null });
    expect((await configHistoryPage(ctx.db, prod, 3, 10)).versions.map((v) => v.version)).toEqual([9, 8, 7]);
  });
});
