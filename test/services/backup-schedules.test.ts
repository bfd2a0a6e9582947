/**
 * Backup schedules through the served API and the CLI (`bin/slipway`, built first), on the
 * machine's PostgreSQL: a bad cron is SLW_VALIDATION from the CLI and the API and stores nothing;
 * a developer sets a schedule but not a keep that removes backups (SLW_FORBIDDEN), an admin does;
 * `service show` and the attachment listing show it with its next slot; `--off` removes it; the
 * routes are in /api/v1/openapi.json. (The scheduler itself, with an injected clock, is tested in
 * src/services/backup-schedules.test.ts.)
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, ok, type Api } from '../support/api.js';
import { addMember, seedWorkspace, workspaceToken } from '../support/fixtures.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { cleanup, cli } from '../support/server-process.js';

const adminUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
let srv: InProcessServer;
let developer: Api;
const resources: string[] = [];

interface State {
  service: string;
  project: string;
  environment: string;
  as: string | null;
  schedule: { cron: string; keep: number | null; nextAt: string | null; last: unknown } | null;
}

const as = (token: string) => ({ server: srv.url, token });
const path = '/api/v1/workspaces/acme/projects/web/environments/qa/attachments/pg/backup-schedule';

beforeAll(async () => {
  srv = await startInProcessServer({ SLIPWAY_ALLOW_SERVICE_HOSTS: '127.0.0.1' });
  await seedWorkspace(srv.admin, 'acme', 'web', 'qa');
  await addMember(srv.admin, 'acme', 'dave@example.com', 'developer');
  developer = (await workspaceToken(srv.admin, 'acme', 'developer', 'dave@example.com')).api;
  ok(await srv.admin.post('/api/v1/workspaces/acme/services', { name: 'pg', kind: 'postgres', adopt: adminUrl }));
}, 60_000);

afterAll(async () => {
  await srv?.close();
  const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await c.connect();
  for (const r of resources) {
    await c.query(`DROP DATABASE IF EXISTS "${r}" WITH (FORCE)`).catch(() => undefined);
    for (const n of [1, 2]) await c.query(`DROP ROLE IF EXISTS "${r}_${n}"`).catch(() => undefined);
    await c.query(`DROP ROLE IF EXISTS "${r}"`).catch(() => undefined);
  }
  await c.end();
  await cleanup();
});

describe('backup schedules through the API and the CLI', () => {
  it('sets, shows and removes a schedule; a bad cron and a developer keep are refused with their codes', async () => {
    const at = ['-w', 'acme', '-p', 'web', '-e', 'qa'];
    const attached = await cli(['service', 'attach', 'pg', ...at, '--json'], as(srv.adminToken));
    expect(attached.code, attached.stderr).toBe(0);
    resources.push(attached.json<{ attachment: { resource: string } }>().attachment.resource);

    // A bad cron: SLW_VALIDATION naming the field, from the CLI and the API; nothing stored.
    const bad = await cli(['service', 'backup-schedule', 'pg', ...at, '--cron', '0 3 * *', '--json'], as(developer.token));
    expect(bad.code).not.toBe(0);
    expect(bad.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'SLW_VALIDATION', message: expect.stringContaining('it has 4 fields, not 5') });
    const badApi = await developer.put(path, { cron: '0 3 * * * *' });
    expect([badApi.status, errorCode(badApi)]).toEqual([400, 'SLW_VALIDATION']);
    expect(ok<State>(await developer.get(path)).schedule).toBeNull();

    // A developer may not set a keep (it removes backups); without one, yes.
    const keepRefused = await cli(['service', 'backup-schedule', 'pg', ...at, '--cron', '0 3 * * *', '--keep', '3', '--json'], as(developer.token));
    expect(keepRefused.json<{ error: { code: string } }>().error.code).toBe('SLW_FORBIDDEN');
    const set = await cli(['service', 'backup-schedule', 'pg', ...at, '--cron', '0 3 * * *', '--json'], as(developer.token));
    expect(set.code, set.stderr).toBe(0);
    const state = set.json<State>();
    expect(state).toMatchObject({ service: 'pg', project: 'web', environment: 'qa', as: null, schedule: { cron: '0 3 * * *', keep: null, last: null } });
    expect(state.schedule?.nextAt).toMatch(/T03:00:00.000Z$/);
    // An admin sets the keep.
    const kept = await cli(['service', 'backup-schedule', 'pg', ...at, '--cron', '30 2 * * *', '--keep', '7', '--json'], as(srv.adminToken));
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.json<State>().schedule).toMatchObject({ cron: '30 2 * * *', keep: 7 });

    // Shown: by the command without options, by service show and the environment's attachment list.
    const shown = await cli(['service', 'backup-schedule', 'pg', ...at], as(developer.token));
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('30 2 * * * (UTC)');
    expect(shown.stdout).toContain('the newest 7 scheduled backups');
    expect(shown.stdout).toContain('none yet');
    const detail = ok<{ attachments: Array<{ schedule: State['schedule'] }> }>(await developer.get('/api/v1/workspaces/acme/services/pg'));
    expect(detail.attachments[0]?.schedule).toMatchObject({ cron: '30 2 * * *', keep: 7 });
    const show = await cli(['service', 'show', 'pg', '-w', 'acme'], as(developer.token));
    expect(show.stdout).toContain('30 2 * * * keep 7, next');

    // --off removes it (a developer may); again is no error.
    const off = await cli(['service', 'backup-schedule', 'pg', ...at, '--off', '--json'], as(developer.token));
    expect(off.code, off.stderr).toBe(0);
    expect(off.json<State>().schedule).toBeNull();
    expect(ok<State>(await developer.delete(path)).schedule).toBeNull();
    const audit = ok<{ events: Array<{ action: string }> }>(await srv.admin.get('/api/v1/workspaces/acme/audit'));
    expect(audit.events.filter((e) => e.action.startsWith('service.backup.')).map((e) => e.action).sort()).toEqual(['service.backup.schedule', 'service.backup.schedule', 'service.backup.unschedule']);

    // The routes are in the OpenAPI document.
    const doc = ok<{ paths: Record<string, Record<string, unknown>> }>(await srv.admin.get('/api/v1/openapi.json'));
    expect(Object.keys(doc.paths['/api/v1/workspaces/{workspace}/projects/{project}/environments/{environment}/attachments/{service}/backup-schedule'] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
  }, 120_000);
});
