/**
 * SIGKILL during a burst of writes (SQLite): the server restarts on the same data dir, the store
 * passes SQLite's integrity check, every acknowledged write is there, config versions and secret
 * versions are consistent, and every change has its audit event (written in the same
 * transaction). The load is bounded: at most 300 requests, 12 at a time.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, ok, type Api } from '../support/api.js';
import { withReadonlySqlite } from '../support/db-snapshot.js';
import { paths } from '../support/fixtures.js';
import { cleanup, startServerProcess, type ServerProcess } from '../support/server-process.js';

type Ack =
  | { kind: 'config'; project: string; env: string | null; key: string; value: string; version: number }
  | { kind: 'secret'; project: string; env: string | null; name: string; version: number }
  | { kind: 'project'; name: string };

const total = 300;
const concurrency = 12;
const killAfterAcks = 120;
const layers = [null, 'prod', 'dev'] as const;

let server: ServerProcess;
const acks: Ack[] = [];
let unanswered = 0;

/** The i-th write of the burst, and what it proves when acknowledged. */
async function write(api: Api, i: number): Promise<Ack> {
  const project = `p${i % 2}`;
  const env = layers[Math.floor(i / 3) % 3] ?? null;
  const scope = env ? paths.environment('acme', project, env) : paths.project('acme', project);
  if (i % 3 === 0) {
    const key = `KEY_${i}`;
    const r = ok<{ version: number; changed: boolean }>(await api.patch(`${scope}/config`, { set: { [key]: `value-${i}` } }));
    return { kind: 'config', project, env, key, value: `value-${i}`, version: r.version };
  }
  if (i % 3 === 1) {
    const name = `SECRET_${i % 7}`;
    const r = ok<{ version: number }>(await api.put(`${scope}/secrets/${name}`, { value: `secret-${i}` }));
    return { kind: 'secret', project, env, name, version: r.version };
  }
  const name = `burst-${i}`;
  ok(await api.post(`${paths.workspace('acme')}/projects`, { name }));
  return { kind: 'project', name };
}

beforeAll(async () => {
  server = await startServerProcess();
  const api = apiClient(server.url, server.adminToken);
  ok(await api.post('/api/v1/workspaces', { name: 'acme', tier: 'high' }));
  for (const p of ['p0', 'p1']) ok(await api.post(`${paths.workspace('acme')}/projects`, { name: p }));

  let next = 0;
  let killing: Promise<void> | undefined;
  const worker = async () => {
    while (next < total && !killing) {
      const i = next++;
      try {
        acks.push(await write(api, i));
      } catch {
        unanswered += 1;
      }
      if (acks.length >= killAfterAcks && !killing) killing = server.kill9();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await killing;
  unanswered += total - next;
  server = await startServerProcess({ dataDir: server.dataDir });
});

afterAll(async () => {
  await server?.stop();
  await cleanup();
});

const dbFile = () => join(server.dataDir, 'slipway.db');
const query = <T>(sql: string): T[] => withReadonlySqlite(dbFile(), (db) => db.prepare(sql).all() as T[]);

describe('SIGKILL during a burst of writes', () => {
  it('the kill came mid-burst, and the server restarted on the same data dir', () => {
    expect(acks.length).toBeGreaterThanOrEqual(killAfterAcks);
    expect(unanswered).toBeGreaterThan(0);
    expect(new Set(acks.map((a) => a.kind))).toEqual(new Set(['config', 'secret', 'project']));
    expect(server.logs()).toContain('instance already set up');
  });

  it('the store passes the integrity and foreign-key checks', () => {
    expect(withReadonlySqlite(dbFile(), (db) => db.pragma('integrity_check'))).toEqual([{ integrity_check: 'ok' }]);
    expect(withReadonlySqlite(dbFile(), (db) => db.pragma('foreign_key_check'))).toEqual([]);
  });

  it('every acknowledged write is there', () => {
    const projects = new Map(query<{ id: string; name: string }>('SELECT id, name FROM projects').map((p) => [p.name, p.id]));
    const envs = query<{ id: string; project_id: string; name: string }>('SELECT id, project_id, name FROM environments');
    const envId = (project: string, env: string | null) => (env ? envs.find((e) => e.project_id === projects.get(project) && e.name === env)?.id : null);
    const layersRows = query<{ project_id: string; environment_id: string | null; version: number; data: string }>('SELECT project_id, environment_id, version, data FROM config_layers');
    const secrets = query<{ project_id: string; scope: string; name: string; version: number }>('SELECT project_id, scope, name, version FROM secrets');
    const missing: string[] = [];
    for (const a of acks) {
      if (a.kind === 'project') {
        const id = projects.get(a.name);
        const names = envs.filter((e) => e.project_id === id).map((e) => e.name).sort();
        if (!id || names.join() !== 'dev,prod,staging') missing.push(`project ${a.name} (environments: ${names.join()})`);
      } else if (a.kind === 'config') {
        const row = layersRows.find((r) => r.project_id === projects.get(a.project) && r.version === a.version && r.environment_id === envId(a.project, a.env));
        if (!row || (JSON.parse(row.data) as Record<string, string>)[a.key] !== a.value) missing.push(`config ${a.project}/${a.env ?? 'base'} ${a.key} v${a.version}`);
      } else {
        const scope = envId(a.project, a.env) ?? 'base';
        if (!secrets.some((s) => s.project_id === projects.get(a.project) && s.scope === scope && s.name === a.name && s.version === a.version)) missing.push(`secret ${a.project}/${a.env ?? 'base'} ${a.name} v${a.version}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('config versions are unique per project and never above projects.config_version; secret versions have no gaps', () => {
    const rows = query<{ name: string; config_version: number; top: number | null; n: number; distinct_versions: number }>(
      'SELECT p.name, p.config_version, MAX(c.version) AS top, COUNT(c.id) AS n, COUNT(DISTINCT c.version) AS distinct_versions FROM projects p LEFT JOIN config_layers c ON c.project_id = p.id GROUP BY p.id',
    );
    expect(rows.filter((r) => r.name === 'p0' || r.name === 'p1').every((r) => r.n > 0)).toBe(true);
    for (const r of rows) {
      expect(r.distinct_versions, r.name).toBe(r.n);
      expect(r.top ?? 0, r.name).toBe(r.config_version);
    }
    const gaps = query<{ project_id: string; scope: string; name: string; n: number; top: number }>('SELECT project_id, scope, name, COUNT(*) AS n, MAX(version) AS top FROM secrets GROUP BY project_id, scope, name HAVING n <> top OR MIN(version) <> 1');
    expect(gaps).toEqual([]);
  });

  it('every config change, secret version and project has its audit event, and every such event its change', () => {
    const events = query<{ action: string; target: string; details: string }>("SELECT action, target, details FROM audit_events WHERE action IN ('config.change', 'secret.set', 'project.create')");
    const audited = new Set(events.map((e) => `${e.action} ${e.target} ${e.action === 'project.create' ? '' : JSON.stringify((JSON.parse(e.details) as { version: number }).version)}`));
    const changes = [
      ...query<{ label: string; version: number }>("SELECT p.name || COALESCE('/' || e.name, ' (base)') AS label, c.version FROM config_layers c JOIN projects p ON p.id = c.project_id LEFT JOIN environments e ON e.id = c.environment_id").map(
        (r) => `config.change ${r.label} ${r.version}`,
      ),
      ...query<{ label: string; version: number }>("SELECT p.name || COALESCE('/' || e.name, ' (base)') || ' ' || s.name AS label, s.version FROM secrets s JOIN projects p ON p.id = s.project_id LEFT JOIN environments e ON e.id = s.environment_id").map(
        (r) => `secret.set ${r.label} ${r.version}`,
      ),
      ...query<{ name: string }>('SELECT name FROM projects').map((r) => `project.create ${r.name} `),
    ];
    expect(changes.filter((c) => !audited.has(c))).toEqual([]);
    expect(events.length).toBe(changes.length);
  });

  it('the API works again', async () => {
    const api = apiClient(server.url, server.adminToken);
    const { version } = ok<{ version: number }>(await api.get(`${paths.project('acme', 'p0')}/config`));
    const top = query<{ v: number }>("SELECT config_version AS v FROM projects WHERE name = 'p0'")[0]?.v;
    const after = ok<{ version: number }>(await api.patch(`${paths.project('acme', 'p0')}/config`, { set: { AFTER_RESTART: 'yes' } }));
    expect(after.version).toBe((top ?? 0) + 1);
    expect(after.version).toBeGreaterThan(version);
    expect(ok<{ name: string }>(await api.put(`${paths.environment('acme', 'p0', 'prod')}/secrets/AFTER_RESTART`, { value: 'x' })).name).toBe('AFTER_RESTART');
    expect(ok<{ environments: string[] }>(await api.post(`${paths.workspace('acme')}/projects`, { name: 'after-restart' })).environments).toEqual(['dev', 'staging', 'prod']);
  });
});
