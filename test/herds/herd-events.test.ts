/**
 * Herd upgrades on the workspace change stream, through the API of a real server (in-process,
 * no Docker: its deploys fail, "no edge proxy", so every site that starts fails and is reverted):
 * an application with 30 sites (seeded in the store), an upgrade with 1 canary, then 10 at once
 * and a failure budget of 2. The stream sends `upgrade` changes from `running` to the state it
 * ended in (`halted`, finished) — the last one as the API reads it — no two of them within
 * 250 ms although its sites log a line every few milliseconds, and another workspace's stream
 * nothing of it. Pausing and aborting an upgrade whose window is closed is announced too, and
 * `slipway herd upgrade --wait` (woken by the stream) ends with the state the upgrade ended in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ok } from '../support/api.js';
import { paths, withSqliteStore } from '../support/fixtures.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { cleanup, cli } from '../support/server-process.js';
import { followStream, type Followed, type SseEvent } from '../support/sse.js';
import type { UpgradeChange, WorkspaceChange } from '../../src/api/streams.js';
import { workspaceChanges } from '../../src/deploy/events.js';
import { seedApplication, seedSites } from '../../src/herds/test-support/seed.js';

interface Upgrade {
  id: string;
  state: string;
  failures: number;
  finishedAt: string | null;
  sites: { site: string; step: string }[];
}

let srv: InProcessServer;
const upgrades = `${paths.workspace('herds')}/applications/saas/upgrades`;
const upgrade = (id: string) => `${paths.workspace('herds')}/upgrades/${id}`;

const changesOf = (events: SseEvent[], id: string): UpgradeChange[] =>
  events
    .filter((e) => e.event === 'change')
    .map((e) => JSON.parse(e.data ?? '{}') as WorkspaceChange)
    .filter((c): c is UpgradeChange => c.kind === 'upgrade' && c.id === id);

const finishedIn = (stream: Followed, id: string) => stream.until((e) => changesOf(e, id).some((c) => c.finished), 60_000);

beforeAll(async () => {
  srv = await startInProcessServer();
  for (const ws of ['herds', 'other']) ok(await srv.admin.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
  ok(await srv.admin.post(`${paths.workspace('herds')}/projects`, { name: 'saas' }));
  await withSqliteStore(srv.dbFile, async (db) => {
    const ws = await db.selectFrom('workspaces').select('id').where('name', '=', 'herds').executeTakeFirstOrThrow();
    const project = await db.selectFrom('projects').select('id').where('workspace_id', '=', ws.id).where('name', '=', 'saas').executeTakeFirstOrThrow();
    const app = await seedApplication(db, ws.id, project.id, 'saas', ['1.0.0', '2.0.0']);
    await seedSites(db, app, { count: 30, version: '1.0.0', digest: `sha256:${'0'.repeat(64)}`, name: (i) => `s${String(i + 1).padStart(2, '0')}` });
  });
});

afterAll(async () => {
  await srv?.close();
  await cleanup();
});

describe('herd upgrades on the workspace change stream', () => {
  it('announces an upgrade from running to the state it ended in, at most once per 250 ms, to its workspace only', async () => {
    const stream = await followStream(srv.url, `${paths.workspace('herds')}/events`, srv.adminToken);
    const other = await followStream(srv.url, `${paths.workspace('other')}/events`, srv.adminToken);
    try {
      await stream.until(() => stream.text().startsWith('retry: 1000\n\n'));
      const started = ok<Upgrade>(await srv.admin.post(upgrades, { to: '2.0.0', canary: 1, batch: '100%', parallel: 10, bake: '0', failureBudget: '2' }));
      await finishedIn(stream, started.id);
      const final = ok<Upgrade>(await srv.admin.get(upgrade(started.id)));
      expect(final).toMatchObject({ state: 'halted', failures: expect.any(Number) });
      expect(final.failures).toBeGreaterThan(2);
      expect(final.finishedAt).not.toBeNull();

      const seen = changesOf(stream.events, started.id);
      expect(seen[0]).toEqual({ kind: 'upgrade', id: started.id, application: 'saas', status: 'running', finished: false, at: expect.any(String) });
      expect(seen.at(-1)).toMatchObject({ status: 'halted', finished: true });
      expect(seen.filter((c) => c.finished)).toHaveLength(1);
      expect(new Set(seen.map((c) => c.status))).toEqual(new Set(['running', 'halted']));
      // Sites moved in between: more than the first and last announcement.
      expect(seen.length).toBeGreaterThan(2);
      // Coalesced: the sites wrote many more step-log lines than there were announcements, none within 250 ms of the one before.
      const lines = await withSqliteStore(srv.dbFile, async (db) => Number((await db.selectFrom('herd_site_events').select((eb) => eb.fn.countAll<number>().as('n')).where('upgrade_id', '=', started.id).executeTakeFirstOrThrow()).n));
      expect(lines).toBeGreaterThan(seen.length);
      const times = seen.map((c) => Date.parse(c.at));
      for (let i = 1; i < times.length; i += 1) expect(times[i]! - times[i - 1]!, JSON.stringify(seen)).toBeGreaterThanOrEqual(249);
      // Nothing more comes once it has finished.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(changesOf(stream.events, started.id)).toHaveLength(seen.length);
      expect(other.events).toEqual([]);
    } finally {
      stream.close();
      other.close();
    }
  }, 90_000);

  it("announces an operator's pause and abort of an upgrade that waits for its window", async () => {
    const stream = await followStream(srv.url, `${paths.workspace('herds')}/events`, srv.adminToken);
    try {
      await stream.until(() => stream.text().startsWith('retry: 1000\n\n'));
      // A window that is closed now: no site starts.
      const closed = `${(new Date().getUTCMinutes() + 30) % 60} * * * *`;
      const started = ok<Upgrade>(await srv.admin.post(upgrades, { to: '2.0.0', sites: 'name=s30', bake: '0', window: closed }));
      await stream.until((e) => changesOf(e, started.id).some((c) => c.status === 'running'));
      ok(await srv.admin.post(`${upgrade(started.id)}/pause`));
      await stream.until((e) => changesOf(e, started.id).some((c) => c.status === 'paused'));
      ok(await srv.admin.post(`${upgrade(started.id)}/abort`, { revert: false }));
      await finishedIn(stream, started.id);
      const statuses = changesOf(stream.events, started.id).map((c) => `${c.status}${c.finished ? ' (finished)' : ''}`);
      expect(statuses[0]).toBe('running');
      expect(statuses.at(-1)).toBe('aborted (finished)');
      expect(statuses).toContain('paused');
      expect(ok<Upgrade>(await srv.admin.get(upgrade(started.id))).sites.map((s) => s.step)).toEqual(['pending']);
    } finally {
      stream.close();
    }
  }, 60_000);

  it('slipway herd upgrade --wait follows it on the change stream to the state it ended in, and closes the stream', async () => {
    const workspaceId = await withSqliteStore(srv.dbFile, async (db) => (await db.selectFrom('workspaces').select('id').where('name', '=', 'herds').executeTakeFirstOrThrow()).id);
    // The server runs in this process: its change stream's followers can be counted (the streams above have gone).
    await expect.poll(() => workspaceChanges.listenerCount(workspaceId), { timeout: 5_000 }).toBe(0);
    let followers = 0;
    const sampler = setInterval(() => (followers = Math.max(followers, workspaceChanges.listenerCount(workspaceId))), 5);
    const started = Date.now();
    const r = await cli(['herd', 'upgrade', '-a', 'saas', '--to', '2.0.0', '--sites', 'name=s29', '--bake', '0', '--wait', '-w', 'herds', '--json'], { server: srv.url, token: srv.adminToken, timeoutMs: 60_000 }).finally(() => clearInterval(sampler));
    expect(r.code, r.stderr).toBe(0);
    const u = r.json<Upgrade>();
    expect(u).toMatchObject({ state: 'halted', failures: 1, sites: [{ site: 's29', step: 'reverted' }] });
    expect(Date.parse(u.finishedAt ?? '')).toBeGreaterThan(started);
    expect(followers).toBe(1);
    await expect.poll(() => workspaceChanges.listenerCount(workspaceId), { timeout: 5_000 }).toBe(0);
  }, 90_000);
});
