/**
 * The schedule clock of the pipeline runtime, on SQLite with fake timers: at start it runs a slot
 * already due (one the server was down for); after that it runs a due slot one second into its
 * minute, and not before. (test/panel/pipelines.test.ts has a real server run a due slot.)
 */
import { setImmediate as tick } from 'node:timers/promises';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { environment, project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { applyManifest } from './manifests.js';
import { startScheduleClock } from './runtime.js';

const manifest = `pipelines:
  minutely:
    jobs:
      - name: report
        image: busybox
        command: echo report
    schedules:
      - cron: "* * * * *"
        environment: staging
`;

describe('the schedule clock', () => {
  let ctx: TestContext | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await ctx?.cleanup();
  });

  it('runs a slot due at start at once, then each slot one second into its minute', async () => {
    ctx = await setupContext('sqlite');
    const shop = await project(ctx, await workspace(ctx, 'acme', 'high'), 'shop');
    await environment(ctx, shop, 'staging');
    const db = ctx.db;
    // Only the clock's timers and the date are fake: the store's I/O goes on as usual.
    vi.useFakeTimers({ now: new Date('2026-03-02T10:00:30.000Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    await applyManifest(db, shop, manifest);
    const row = () => db.selectFrom('pipeline_schedules').select(['next_at', 'last_slot_at', 'last_outcome']).executeTakeFirstOrThrow();
    expect((await row()).next_at).toBe('2026-03-02T10:01:00.000Z');
    // The 10:00 slot, as if the server had been down when it came.
    await db.updateTable('pipeline_schedules').set({ next_at: '2026-03-02T10:00:00.000Z' }).execute();
    /** Lets the pass under way (store calls only, no timers) finish. */
    const settle = async () => {
      for (let i = 0; i < 200; i += 1) await tick();
    };

    const clock = startScheduleClock(db, pino({ level: 'silent' }));
    try {
      await settle();
      expect(await row()).toEqual({ next_at: '2026-03-02T10:01:00.000Z', last_slot_at: '2026-03-02T10:00:00.000Z', last_outcome: 'started' });

      // 10:01:00.900: the 10:01 slot is due, but the clock looks only one second into the minute.
      await vi.advanceTimersByTimeAsync(30_900);
      await settle();
      expect((await row()).last_slot_at).toBe('2026-03-02T10:00:00.000Z');

      // 10:01:01: it runs (queued behind the 10:00 run, still in flight).
      await vi.advanceTimersByTimeAsync(100);
      await settle();
      expect(await row()).toEqual({ next_at: '2026-03-02T10:02:00.000Z', last_slot_at: '2026-03-02T10:01:00.000Z', last_outcome: 'queued' });
      const runs = await db.selectFrom('pipeline_runs').select(['status', 'trigger_kind']).orderBy('id').execute();
      expect(runs).toEqual([
        { status: 'running', trigger_kind: 'schedule' },
        { status: 'queued', trigger_kind: 'schedule' },
      ]);

      // And the next minute's, at 10:02:01.
      await vi.advanceTimersByTimeAsync(59_999);
      await settle();
      expect((await row()).last_slot_at).toBe('2026-03-02T10:01:00.000Z');
      await vi.advanceTimersByTimeAsync(1);
      await settle();
      expect(await row()).toMatchObject({ next_at: '2026-03-02T10:03:00.000Z', last_slot_at: '2026-03-02T10:02:00.000Z', last_outcome: 'coalesced' });
    } finally {
      await clock.stop();
    }
  });
});
