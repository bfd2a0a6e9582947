/**
 * The notification channel on a real PostgreSQL database: two stores (two pools, as two control
 * planes have) each hear what either publishes, in the order one publishes it; a payload over
 * NOTIFY's limit is refused before it reaches the server; the LISTEN connection terminated by
 * the server is made again (told down, then up again) and hears again; SQLite has no channel.
 */
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

  it('is absent on SQLite', async () => {
    const { store, cleanup } = await openTestStore('sqlite');
    try {
      expect(store.channel).toBeUndefined();
    } finally {
      await cleanup();
    }
  });
});
