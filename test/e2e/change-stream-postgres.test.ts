/**
 * The workspace change stream across control planes: two real `slipway server` processes on one
 * fresh PostgreSQL database (the second with the first one's master key). A change made through
 * server B comes on server A's stream exactly once, and A's own changes once on A (and once on
 * B); after A's LISTEN connection is killed (pg_terminate_backend), A logs the drop and the
 * reconnect, tells its followers to read again (`resync`), and B's changes arrive again. A
 * deployment requested through B (no deploy engine on either server, so a controller fails it)
 * comes on A's stream with each of its states once, in order.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceChange, WorkspaceChange } from '../../src/api/streams.js';
import { apiClient, ok, type Api } from '../support/api.js';
import { paths } from '../support/fixtures.js';
import { createTestDatabase, pgAdminUrl, type TestDatabase } from '../support/postgres.js';
import { cleanup, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';
import { followStream, type Followed, type SseEvent } from '../support/sse.js';
import { pushBlob, pushImage, sha256 } from '../support/oci-push.js';
import { makeTar } from '../support/tar-fixtures.js';

const ws = 'crossplane';
let db: TestDatabase;
let a: ServerProcess;
let b: ServerProcess;
let viaA: Api;
let viaB: Api;

const changes = (events: SseEvent[]) => events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data ?? '{}') as WorkspaceChange);
const serviceChanges = (events: SseEvent[], name: string) => changes(events).filter((c): c is ServiceChange => c.kind === 'service' && c.name === name);
const kindsOf = (events: SseEvent[], name: string) => serviceChanges(events, name).map((c) => c.change);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const listening = (s: ServerProcess) => (logs: string) => logs.includes('change stream: listening for the changes of the other control planes');

/** The backend pids of server `s`'s LISTEN connection on the test database. */
async function listenPids(s: ServerProcess): Promise<number[]> {
  const c = new pg.Client({ connectionString: pgAdminUrl });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and application_name = $2', [db.name, `slipway-listen slipway_changes ${s.pid}`]);
    return r.rows.map((row) => row.pid);
  } finally {
    await c.end();
  }
}

async function open(s: ServerProcess): Promise<Followed> {
  const stream = await followStream(s.url, `${paths.workspace(ws)}/events`, s.adminToken);
  await stream.until(() => stream.text().startsWith('retry: 1000\n\n'));
  return stream;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const args = ['--database-url', db.url, '--allow-service-host', '127.0.0.1'];
  a = await startServerProcess({ args });
  // B shares A's store, so its master key and the first admin's token (stored once, by A).
  const dirB = tempDir();
  copyFileSync(join(a.dataDir, 'master.key'), join(dirB, 'master.key'));
  writeFileSync(join(dirB, 'admin-token'), `${a.adminToken}\n`, { mode: 0o600 });
  b = await startServerProcess({ dataDir: dirB, args });
  await a.waitForLogs(listening(a));
  await b.waitForLogs(listening(b));
  viaA = apiClient(a.url, a.adminToken);
  viaB = apiClient(b.url, b.adminToken);
  ok(await viaA.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
  ok(await viaA.post(`${paths.workspace(ws)}/projects`, { name: 'shop' }));
}, 120_000);

afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await cleanup();
  await db?.drop();
}, 60_000);

describe('the change stream across two servers on one PostgreSQL', () => {
  it("brings B's changes to A's stream once, and A's own once on A and on B", async () => {
    const onA = await open(a);
    const onB = await open(b);
    try {
      ok(await viaB.post(`${paths.workspace(ws)}/services`, { name: 'cache', kind: 'redis', adopt: 'redis://127.0.0.1:6379' }));
      await onA.until((e) => kindsOf(e, 'cache').includes('created'));
      ok(await viaB.post(`${paths.environment(ws, 'shop', 'dev')}/attachments`, { service: 'cache' }));
      await onA.until((e) => kindsOf(e, 'cache').includes('attached'));

      // Made through A: once on A (never echoed back to it), once on B.
      ok(await viaA.post(`${paths.workspace(ws)}/services`, { name: 'store', kind: 'redis', adopt: 'redis://127.0.0.1:6379' }));
      await onA.until((e) => kindsOf(e, 'store').includes('created'));
      await onB.until((e) => kindsOf(e, 'store').includes('created'));

      // Time for a duplicate or an echo to arrive, if one were sent.
      await sleep(1500);
      expect(kindsOf(onA.events, 'cache')).toEqual(['created', 'attached']);
      expect(serviceChanges(onA.events, 'cache').at(-1)).toMatchObject({ project: 'shop', environment: 'dev' });
      expect(kindsOf(onB.events, 'cache')).toEqual(['created', 'attached']);
      expect(kindsOf(onA.events, 'store')).toEqual(['created']);
      expect(kindsOf(onB.events, 'store')).toEqual(['created']);
      // Stream ids keep increasing on A whichever server the change came from.
      const ids = onA.events.filter((e) => e.event === 'change').map((e) => Number(e.id));
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      onA.close();
      onB.close();
    }
  }, 60_000);

  it('reconnects when the LISTEN connection is killed, says so, tells followers to read again, and relays again', async () => {
    const onA = await open(a);
    try {
      const [pid, ...more] = await listenPids(a);
      expect(pid).toBeDefined();
      expect(more).toEqual([]);
      const admin = new pg.Client({ connectionString: pgAdminUrl });
      await admin.connect();
      try {
        expect((await admin.query<{ ok: boolean }>('select pg_terminate_backend($1) as ok', [pid])).rows[0]?.ok).toBe(true);
      } finally {
        await admin.end();
      }
      await a.waitForLogs((logs) => logs.includes('change stream: the LISTEN connection is down'));
      await a.waitForLogs((logs) => logs.includes('change stream: the LISTEN connection is back'));
      await onA.until((e) => changes(e).some((c) => c.kind === 'resync'));
      const now = await listenPids(a);
      expect(now).toHaveLength(1);
      expect(now[0]).not.toBe(pid);

      ok(await viaB.post(`${paths.workspace(ws)}/services`, { name: 'queue', kind: 'redis', adopt: 'redis://127.0.0.1:6379' }));
      await onA.until((e) => kindsOf(e, 'queue').includes('created')).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\nA:\n${a.logs()}\nB:\n${b.logs()}`);
      });
      ok(await viaB.delete(`${paths.workspace(ws)}/services/queue`));
      await onA.until((e) => kindsOf(e, 'queue').includes('removed'));
      await sleep(1000);
      expect(kindsOf(onA.events, 'queue')).toEqual(['created', 'removed']);
      expect(changes(onA.events).filter((c) => c.kind === 'resync')).toHaveLength(1);
      // The relay's metrics say the same.
      const metrics = await (await fetch(`${a.url}/metrics`, { headers: { authorization: `Bearer ${a.adminToken}` } })).text();
      expect(metrics).toMatch(/^slipway_change_relay_listening 1$/m);
      expect(metrics).toMatch(/^slipway_change_relay_reconnects_total 1$/m);
      expect(metrics).toMatch(/^slipway_change_relay_publish_failures_total 0$/m);
      // B's changes of both tests: created and attached of cache, created and removed of queue.
      expect(metrics).toMatch(/^slipway_change_relay_received_total 4$/m);
      // The resync reached the followers as a change, never as an error that ends their streams.
      expect(onA.ended()).toBe(false);
      expect(a.logs()).not.toContain('Promise errored');
    } finally {
      onA.close();
    }
  }, 60_000);

  it("brings a deployment requested through B, and failed by a controller for want of a deploy engine, to A's stream once per state", async () => {
    const onA = await open(a);
    try {
      const t = { url: b.url, token: b.adminToken };
      const layer = makeTar([{ path: 'index.html', content: 'hi' }], false);
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
      await pushBlob(t, `${ws}/shop`, layer);
      await pushBlob(t, `${ws}/shop`, config);
      await pushImage(t, `${ws}/shop`, '1.0.0', config, [layer]);
      const d = ok<{ deployment: { id: string } }>(await viaB.post(`${paths.environment(ws, 'shop', 'dev')}/deployments`, { version: '1.0.0' })).deployment;
      const statuses = () => changes(onA.events).filter((c) => c.kind === 'deployment' && c.id === d.id).map((c) => (c.kind === 'deployment' ? c.status : ''));
      await onA.until(() => statuses().includes('failed'), 30_000);
      await sleep(1000);
      // Each state once, in order, whichever server's controller ran it.
      expect(statuses()).toEqual(['queued', 'running', 'failed']);
    } finally {
      onA.close();
    }
  }, 60_000);
});
