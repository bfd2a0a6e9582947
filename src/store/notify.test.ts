/**
 * The notification channel on a real PostgreSQL database: two stores (two pools, as two control
 * planes have) each hear what either publishes, in the order one publishes it; a payload over
 * NOTIFY's limit is refused before it reaches the server; the LISTEN connection terminated by
 * the server is made again (told down, then up again) and hears again; SQLite has no channel.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/engines.js';
import { createTestDatabase, pgAdminUrl, type TestDatabase } from '../../test/support/postgres.js';
import { maxNotifyBytes, type ChannelListener, type NotifyChannel } from './notify.js';
import { openStore, type Store } from './open.js';

let db: TestDatabase;
let one: Store;
let two: Store;

beforeAll(async () => {
  db = await createTestDatabase();
  one = await openStore({ engine: 'postgres', url: db.url });
  two = await openStore({ engine: 'postgres', url: db.url });
}, 60_000);

afterAll(async () => {
  await one?.close();
  await two?.close();
  await db?.drop();
});

function recorder() {
  const heard: string[] = [];
  const states: string[] = [];
  const listener: ChannelListener = {
    message: (p) => heard.push(p),
    up: (again) => states.push(again ? 'up again' : 'up'),
    down: (_error, retryMs) => states.push(`down ${retryMs > 0 ? 'retrying' : ''}`.trim()),
  };
  return { heard, states, listener };
}

async function until(test: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the PostgreSQL notification channel', () => {
  it('carries payloads to every listening store in the order published, refuses oversize ones, and reconnects after a termination', async () => {
    const a = recorder();
    const b = recorder();
    const ca: NotifyChannel = one.channel!('slipway_test_channel', a.listener, { minRetryMs: 50 });
    const cb: NotifyChannel = two.channel!('slipway_test_channel', b.listener, { minRetryMs: 50 });
    await until(() => a.states.length > 0 && b.states.length > 0);
    expect([a.states, b.states]).toEqual([['up'], ['up']]);

    const sent = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await Promise.all(sent.map((p) => ca.publish(p)));
    await until(() => a.heard.length === 30 && b.heard.length === 30);
    expect(a.heard).toEqual(sent);
    expect(b.heard).toEqual(sent);

    await expect(ca.publish('x'.repeat(maxNotifyBytes + 1))).rejects.toThrow(/over PostgreSQL's limit/);
    await ca.publish('é'.repeat(Math.floor(maxNotifyBytes / 2)));
    await until(() => b.heard.length === 31);

    const pid = ca.listenerPid();
    expect(pid).toBeGreaterThan(0);
    const admin = new pg.Client({ connectionString: pgAdminUrl });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [pid]);
    await admin.end();
    await until(() => a.states.includes('up again'));
    expect(a.states).toEqual(['up', 'down retrying', 'up again']);
    expect(ca.listenerPid()).not.toBe(pid);
    await cb.publish('after');
    await until(() => a.heard.at(-1) === 'after');
    expect(a.heard.filter((p) => p === 'after')).toHaveLength(1);

    await ca.close();
    await cb.publish('closed');
    await until(() => b.heard.at(-1) === 'closed');
    expect(a.heard).not.toContain('closed');
    await expect(ca.publish('late')).rejects.toThrow(/closed/);
    await cb.close();
  }, 60_000);

  it('notices a LISTEN connection that went silent without closing (its round trip times out) and makes a new one', async () => {
    // A TCP relay to the database whose connections can be frozen: kept open, nothing forwarded.
    const target = new URL(db.url);
    const pairs: Array<[Socket, Socket]> = [];
    const relay: Server = createServer((inbound) => {
      const outbound = connect(Number(target.port || 5432), target.hostname);
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
      pairs.push([inbound, outbound]);
    });
    await new Promise<void>((done) => relay.listen(0, '127.0.0.1', () => done()));
    const port = (relay.address() as { port: number }).port;
    const via = new URL(db.url);
    via.host = `127.0.0.1:${port}`;
    const store = await openStore({ engine: 'postgres', url: via.toString() });
    const r = recorder();
    try {
      const channel = store.channel!('slipway_test_silent', r.listener, { minRetryMs: 50, pingMs: 300 });
      await until(() => r.states.includes('up'));
      const before = channel.listenerPid();
      expect(before).toBeGreaterThan(0);
      // Freeze every connection made so far (the pool's and the listener's): silent, not closed.
      for (const [a, b] of [...pairs]) {
        a.unpipe();
        b.unpipe();
        a.pause();
        b.pause();
      }
      await until(() => r.states.includes('up again'), 10_000);
      expect(r.states.slice(0, 2)).toEqual(['up', 'down retrying']);
      expect(channel.listenerPid()).not.toBe(before);
      await channel.close();
    } finally {
      await store.close();
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((done) => relay.close(() => done()));
    }
  }, 30_000);

  it('is absent on SQLite', async () => {
    const { store, cleanup } = await openTestStore('sqlite');
    try {
      expect(store.channel).toBeUndefined();
    } finally {
      await cleanup();
    }
  });
});
