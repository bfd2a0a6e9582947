/**
 * A run's log meets the deletion of its environment: a line for a run that is gone is dropped
 * without an error (on both engines); on PostgreSQL, where the runner writes beside a deletion,
 * a deletion waits for a line being written and deletes it too, and a line written while a
 * deletion is under way waits for it and is then dropped — no foreign-key failure either way.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { engines, type Engine } from '../../test/support/engines.js';
import { setupContext, type TestContext } from '../../test/support/service-fixtures.js';
import { deleteEnvironment } from '../deploy/removal.js';
import type { Db } from '../store/schema.js';
import { MemoryTarget } from '../targets/memory/memory-target.js';
import { appendRunLines, linesAfter, type RunLine } from './logs.js';
import { applyManifest } from './manifests.js';
import { getRun, runBus, triggerRun } from './runs.js';
import { shopQa, testPlacements } from './test-support/runner.js';

const manifest = `pipelines:
  wait:
    jobs:
      - name: wait
        image: $build
`;

const line = (text: string): RunLine[] => [{ job: 'wait', stream: 'system', line: text }];

/** Waits until a session of this test's database waits for a lock (the other side has reached it). */
async function untilWaitingForLock(db: Db): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    const r = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
    if (r.rows[0]!.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('no session waited for a lock');
}

describe("a run's log and the deletion of its environment", () => {
  let ctx: TestContext | undefined;
  let target: MemoryTarget | undefined;
  afterEach(async () => {
    await target?.close();
    await ctx?.cleanup();
    ctx = undefined;
  });

  /** A custom environment `qa` with a queued run of `wait`, and placements a deletion of it can tear down. */
  async function queuedRun(engine: Engine) {
    ctx = await setupContext(engine);
    const { shop, qa } = await shopQa(ctx);
    await applyManifest(ctx.db, shop, manifest);
    target = new MemoryTarget({ name: 'local' });
    const placements = testPlacements(target);
    const { run } = await triggerRun(ctx.db, qa, { pipeline: 'wait', imageDigest: `sha256:${'a'.repeat(64)}`, reason: 'test', trigger: { kind: 'manual', by: null } });
    const lines = async () => (await linesAfter(ctx!.db, run.id, 0)).map((l) => l.line);
    return { db: ctx.db, qa, placements, run, lines };
  }

  it.each(engines)('drops a line for a run whose environment was deleted, without an error, on %s', async (engine) => {
    const { db, qa, placements, run, lines } = await queuedRun(engine);
    await appendRunLines(db, run, line('before'));
    expect(await lines()).toEqual(['before']);
    await deleteEnvironment(db, placements, qa);
    let woken = 0;
    const wake = () => (woken += 1);
    runBus.on(run.id, wake);
    try {
      await expect(appendRunLines(db, run, line('after'))).resolves.toBeUndefined();
    } finally {
      runBus.off(run.id, wake);
    }
    expect(await db.selectFrom('pipeline_run_logs').select('line').execute()).toEqual([]);
    expect(woken).toBe(0);
  });

  it('on postgres, a deletion waits for a line being written to a run of the environment, then deletes it too', async () => {
    const { db, qa, placements, run, lines } = await queuedRun('postgres');
    // An ended run: the deletion leaves it as it is until its transaction deletes the rows.
    await db.updateTable('pipeline_runs').set({ status: 'failed', finished_at: new Date().toISOString() }).where('id', '=', run.id).execute();
    let deletion: Promise<unknown> | undefined;
    await db.transaction().execute(async (tx) => {
      await appendRunLines(tx, run, line('last words'));
      deletion = deleteEnvironment(db, placements, qa);
      deletion.catch(() => undefined);
      await untilWaitingForLock(db);
    });
    await deletion;
    expect(await getRun(db, run.id)).toBeUndefined();
    expect(await lines()).toEqual([]);
  });

  it('on postgres, a line written while a deletion of the environment is under way waits for it, then is dropped', async () => {
    const { db, qa, placements, run, lines } = await queuedRun('postgres');
    let append: Promise<void> | undefined;
    await deleteEnvironment(db, placements, qa, async () => {
      append = appendRunLines(db, run, line('too late'));
      append.catch(() => undefined);
      await untilWaitingForLock(db);
    });
    await expect(append).resolves.toBeUndefined();
    expect(await getRun(db, run.id)).toBeUndefined();
    expect(await lines()).toEqual([]);
  });
});
