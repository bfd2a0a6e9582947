/**
 * Cron slots taken at most once across control planes, for whatever a schedule row stands for
 * (an attachment's backups, a volume's): every ~30 s a pass reads the rows whose next slot is
 * due, takes each slot with one conditional write, and runs its work in the background.
 *
 * At most once per slot: a slot is taken by a write that moves `next_at` past it, conditional on
 * the value read (see each {@link SlotRows.claim}). Of two control planes on one PostgreSQL (or a
 * scheduler racing a restart of itself) only one write changes the row; the other changes nothing
 * and runs nothing. A process that dies midway loses that slot (it is not retried): work is never
 * done twice for one slot, and may be missed once. While a slot's work runs, the row's next slots
 * wait for it (a slot that becomes more than an hour late meanwhile is skipped); a `running` slot
 * older than {@link staleRunningMs} is taken to be interrupted (its server stopped) and no longer
 * blocks.
 *
 * Missed slots (no server ran): see src/core/backup-schedules.ts — one catch-up run for the
 * latest missed slot if it is less than an hour old, otherwise the row skips to its next slot.
 *
 * Short work, bounded: each pass reads at most as many due rows as it has free places
 * (`concurrency`, 2 by default); the work runs in the background, so a pass never waits for it
 * and nothing else waits for a pass. Stopping clears the timer, waits a few seconds for running
 * work, and marks the slots still running `failed` (interrupted by the shutdown).
 *
 * The store and the work are the caller's ({@link SlotRows}); this is the timing and the claims.
 *
 * @module
 */
import { decideSlot, parseCron } from '../core/cron.js';
import type { Clock } from './clock.js';
import { jittered, realClock } from './clock.js';

/** A `running` slot older than this no longer blocks its row (the server running it stopped). */
export const staleRunningMs = 6 * 3_600_000;

/** What every schedule row has. */
export interface ScheduleRow {
  cron: string;
  next_at: string | null;
}

/** The caller's side: its rows in the store and the work of a slot. */
export interface SlotRows<Row extends ScheduleRow> {
  key(row: Row): string;
  /** Up to `limit` rows due at `now` (ISO) whose last slot is not running (or started before `stale`), oldest slot first. */
  due(now: string, stale: string, limit: number): Promise<Row[]>;
  /** Moves `next_at` to `next` where it still is what was read; true when this write did. */
  skip(row: Row, next: string | null, at: string): Promise<boolean>;
  /** Takes `slot`: `next_at` to `next`, the last slot `running` by `owner`, where `next_at` is still what was read and no other slot runs (or it is stale). True when this write took it. */
  claim(row: Row, claim: { slot: string; next: string | null; owner: string; at: string; stale: string }): Promise<boolean>;
  /** The slot's work, by `owner` (the process that took it), timed by `now`: stores its own outcome. Rejections are logged, not retried. */
  run(row: Row, slot: string, by: { owner: string; now(): Date }): Promise<void>;
  /** Marks the slots `owner` still runs (by key) `failed`: interrupted by a shutdown. */
  interrupted(keys: string[], owner: string, at: string): Promise<void>;
}

export interface SlotSchedulerOptions {
  /** This server process (written on the slots it takes). */
  owner: string;
  logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  clock?: Clock;
  /** Slots this process runs at once; more due rows wait for the next pass. */
  concurrency?: number;
  /** Between passes (jittered ±10 %). */
  intervalMs?: number;
  /** How long {@link SlotScheduler.stop} waits for running work. */
  stopWaitMs?: number;
  /** What the rows are, in log lines ("scheduled backup"). */
  what?: string;
}

/** What one pass did with one due row. */
export interface SlotTaken {
  key: string;
  slot: string;
  /** Settles when the slot's work is done and its outcome stored. */
  done: Promise<void>;
}

export class SlotScheduler<Row extends ScheduleRow> {
  readonly #o: Required<Omit<SlotSchedulerOptions, 'clock'>> & { clock: Clock };
  readonly #running = new Map<string, Promise<void>>();
  #timer: unknown = null;
  #pass: Promise<unknown> | null = null;
  #stopped = false;

  constructor(
    private readonly rows: SlotRows<Row>,
    options: SlotSchedulerOptions,
  ) {
    this.#o = { concurrency: 2, intervalMs: 30_000, stopWaitMs: 5_000, clock: realClock, what: 'scheduled slot', ...options };
  }

  /**
   * Passes every 30 s (jittered ±10 % so that control planes started together do not query in
   * lockstep): slots are whole minutes, so work starts within about half a minute of its slot. No
   * backoff: a failed pass (the store unreachable) is tried again at the next one, and failed work
   * is recorded by its row, not retried.
   */
  start(): void {
    const loop = () => {
      this.#timer = this.#o.clock.setTimeout(() => {
        if (this.#stopped) return;
        this.#pass = this.tick()
          .catch((error: unknown) => this.#o.logger.warn({ err: error }, `the ${this.#o.what} pass failed; trying again at the next one`))
          .finally(loop);
      }, jittered(this.#o.intervalMs, 0.1));
    };
    loop();
  }

  /** Slots this process is running now. */
  get running(): number {
    return this.#running.size;
  }

  /** One pass: takes the due slots it has room for and starts their work (not waiting for it). */
  async tick(): Promise<SlotTaken[]> {
    return this.take(await this.due());
  }

  /** The rows due now that this process has room for, as read (the first half of a pass). */
  async due(): Promise<Row[]> {
    const free = this.#o.concurrency - this.#running.size;
    if (this.#stopped || free <= 0) return [];
    const now = new Date(this.#o.clock.now());
    return this.rows.due(now.toISOString(), new Date(now.getTime() - staleRunningMs).toISOString(), free);
  }

  /**
   * The second half of a pass: decides on each row as read by {@link due} and takes its slot
   * with the conditional write (a row another process changed since it was read is left alone).
   */
  async take(due: Row[]): Promise<SlotTaken[]> {
    const now = new Date(this.#o.clock.now());
    const at = now.toISOString();
    const stale = new Date(now.getTime() - staleRunningMs).toISOString();
    const taken: SlotTaken[] = [];
    for (const row of due) {
      const key = this.rows.key(row);
      if (this.#running.has(key) || row.next_at === null) continue;
      const decision = decideSlot(parseCron(row.cron), new Date(row.next_at), now);
      if (decision.kind === 'wait') continue;
      const next = decision.next === null ? null : decision.next.toISOString();
      if (decision.kind === 'skip') {
        if (await this.rows.skip(row, next, at)) this.#o.logger.info({ schedule: key, missed: row.next_at, next }, `a ${this.#o.what} was missed by more than an hour (no server ran); skipped to the next one`);
        continue;
      }
      const slot = decision.slot.toISOString();
      // The claim: only the process whose write still sees the slot it read takes it.
      if (!(await this.rows.claim(row, { slot, next, owner: this.#o.owner, at, stale }))) continue;
      if (decision.missed > 0) this.#o.logger.info({ schedule: key, slot, missed: decision.missed }, `one catch-up run of the ${this.#o.what}s missed in the last hour`);
      const done = this.rows
        .run(row, slot, { owner: this.#o.owner, now: () => new Date(this.#o.clock.now()) })
        .catch((error: unknown) => this.#o.logger.warn({ schedule: key, slot, err: error }, `a ${this.#o.what} failed`))
        .finally(() => this.#running.delete(key));
      this.#running.set(key, done);
      taken.push({ key, slot, done });
    }
    return taken;
  }

  /** Waits for the work running now (tests, shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.#running.values()]);
  }

  /** Stops passing; waits a little for running work, then marks the slots still running as interrupted. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) this.#o.clock.clearTimeout(this.#timer);
    await this.#pass;
    let timeout: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timeout = setTimeout(resolve, this.#o.stopWaitMs);
    });
    await Promise.race([this.drain(), waited]);
    clearTimeout(timeout);
    if (this.#running.size === 0) return;
    await this.rows.interrupted([...this.#running.keys()], this.#o.owner, new Date(this.#o.clock.now()).toISOString()).catch((error: unknown) => this.#o.logger.warn({ err: error }, `could not mark interrupted ${this.#o.what}s`));
  }
}
