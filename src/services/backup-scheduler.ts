/**
 * The backup scheduler: every ~30 s it reads the schedules whose next slot is due, takes each
 * slot with one conditional write, backs the attachment up through the backup machinery (the
 * backup's trigger is `schedule`), applies the schedule's `keep`, and stores the outcome on the
 * schedule (`ok` with the backup's id, or `failed` with the error).
 *
 * At most once per slot: a slot is taken by `UPDATE … SET next_at = <next slot>, last_slot =
 * <slot>, last_status = 'running' WHERE attachment_id = … AND next_at = <the value read>`. Of two
 * control planes on one PostgreSQL (or a scheduler racing a restart of itself) only one write
 * changes the row; the other changes nothing and makes no backup. A process that dies midway
 * loses that slot (it is not retried): a backup is never made twice for one slot, and may be
 * missed once. While a slot's backup runs, the schedule's next slots wait for it (a slot that
 * becomes more than an hour late meanwhile is skipped); a `running` slot older than
 * {@link staleRunningMs} is taken to be interrupted (its server stopped) and no longer blocks.
 *
 * Missed slots (no server ran): see src/core/backup-schedules.ts — one catch-up backup for the
 * latest missed slot if it is less than an hour old, otherwise the schedule skips to its next.
 *
 * Short work, bounded: each pass reads at most as many due schedules as it has free places
 * ({@link BackupSchedulerOptions.concurrency}, 2 by default); the backups run in the background,
 * so a pass never waits for a dump and nothing else waits for a pass. Stopping clears the timer,
 * waits a few seconds for running backups, and marks the slots still running `failed`
 * (interrupted by the shutdown).
 *
 * @module
 */
import type { Logger } from 'pino';
import { decideSlot, parseCron } from '../core/cron.js';
import { isSlipwayError } from '../core/errors.js';
import type { Clock } from '../controllers/clock.js';
import { jittered, realClock } from '../controllers/clock.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { ServiceBackupSchedulesTable } from '../store/schema.js';
import type { Principal } from '../tenancy/principal.js';
import { pruneBackups } from './backup-retention.js';
import { backupAttachment, type BackupContext } from './backups.js';
import { announceService } from './changes.js';

/** A `running` slot older than this no longer blocks its schedule (the server running it stopped). */
export const staleRunningMs = 6 * 3_600_000;

export interface BackupSchedulerOptions {
  ctx: BackupContext;
  /** This server process (written on the slots it takes). */
  owner: string;
  logger: Logger;
  clock?: Clock;
  /** Backups this process runs at once; more due schedules wait for the next pass. */
  concurrency?: number;
  /** Between passes (jittered ±10 %). */
  intervalMs?: number;
  /** How long {@link BackupScheduler.stop} waits for running backups. */
  stopWaitMs?: number;
}

/** What one pass did with one due schedule. */
export interface SlotTaken {
  attachmentId: string;
  slot: string;
  /** Settles when the backup (and keep) is done and its outcome stored. */
  done: Promise<void>;
}

/** The server itself, as the principal of a scheduled backup (the audit entry's actor; the backup's trigger says `schedule`). */
const scheduler: Principal = { userId: 'system', tokenId: 'system', email: 'system', instanceAdmin: false, scope: null };

const why = (error: unknown) => (isSlipwayError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error));

export class BackupScheduler {
  readonly #o: Required<Omit<BackupSchedulerOptions, 'clock'>> & { clock: Clock };
  readonly #running = new Map<string, Promise<void>>();
  #timer: unknown = null;
  #pass: Promise<unknown> | null = null;
  #stopped = false;

  constructor(options: BackupSchedulerOptions) {
    this.#o = { concurrency: 2, intervalMs: 30_000, stopWaitMs: 5_000, clock: realClock, ...options };
  }

  /**
   * Passes every 30 s (jittered ±10 % so that control planes started together do not query in
   * lockstep): slots are whole minutes, so a backup starts within about half a minute of its
   * slot. No backoff: a failed pass (the store unreachable) is simply tried again at the next one,
   * and a failed backup is recorded on its schedule, not retried.
   */
  start(): void {
    const loop = () => {
      this.#timer = this.#o.clock.setTimeout(() => {
        if (this.#stopped) return;
        this.#pass = this.tick()
          .catch((error: unknown) => this.#o.logger.warn({ err: error }, 'the backup scheduler pass failed; trying again at the next one'))
          .finally(loop);
      }, jittered(this.#o.intervalMs, 0.1));
    };
    loop();
  }

  /** Backups this process is running now. */
  get running(): number {
    return this.#running.size;
  }

  /** One pass: takes the due slots it has room for and starts their backups (not waiting for them). */
  async tick(): Promise<SlotTaken[]> {
    return this.take(await this.due());
  }

  /** The schedules due now that this process has room for, as read (the first half of a pass). */
  async due(): Promise<ServiceBackupSchedulesTable[]> {
    const free = this.#o.concurrency - this.#running.size;
    if (this.#stopped || free <= 0) return [];
    const now = new Date(this.#o.clock.now());
    const stale = new Date(now.getTime() - staleRunningMs).toISOString();
    return this.#o.ctx.db
      .selectFrom('service_backup_schedules as s')
      .innerJoin('service_attachments as a', 'a.id', 's.attachment_id')
      .selectAll('s')
      .where('a.state', '=', 'attached')
      .where('s.next_at', '<=', now.toISOString())
      .where((eb) => eb.or([eb('s.last_status', 'is', null), eb('s.last_status', '<>', 'running'), eb('s.last_started_at', '<', stale)]))
      .orderBy('s.next_at')
      .limit(free)
      .execute();
  }

  /**
   * The second half of a pass: decides on each schedule as read by {@link due} and takes its slot
   * with the conditional write (a row another process changed since it was read is left alone).
   */
  async take(due: ServiceBackupSchedulesTable[]): Promise<SlotTaken[]> {
    const { db } = this.#o.ctx;
    const now = new Date(this.#o.clock.now());
    const nowText = now.toISOString();
    const stale = new Date(now.getTime() - staleRunningMs).toISOString();
    const taken: SlotTaken[] = [];
    for (const row of due) {
      if (this.#running.has(row.attachment_id) || row.next_at === null) continue;
      const decision = decideSlot(parseCron(row.cron), new Date(row.next_at), now);
      if (decision.kind === 'wait') continue;
      const next = decision.next === null ? null : decision.next.toISOString();
      if (decision.kind === 'skip') {
        const r = await db.updateTable('service_backup_schedules').set({ next_at: next, updated_at: nowText }).where('attachment_id', '=', row.attachment_id).where('next_at', '=', row.next_at).executeTakeFirst();
        if (Number(r.numUpdatedRows) === 1) this.#o.logger.info({ attachment: row.attachment_id, missed: row.next_at, next }, 'a scheduled backup slot was missed by more than an hour (no server ran); skipped to the next one');
        continue;
      }
      const slot = decision.slot.toISOString();
      // The claim: only the process whose write still sees the slot it read takes it.
      const claim = await db
        .updateTable('service_backup_schedules')
        .set({ next_at: next, last_slot: slot, last_status: 'running', last_owner: this.#o.owner, last_started_at: nowText, last_finished_at: null, last_backup_id: null, last_error: null, updated_at: nowText })
        .where('attachment_id', '=', row.attachment_id)
        .where('next_at', '=', row.next_at)
        .where((eb) => eb.or([eb('last_status', 'is', null), eb('last_status', '<>', 'running'), eb('last_started_at', '<', stale)]))
        .executeTakeFirst();
      if (Number(claim.numUpdatedRows) !== 1) continue;
      if (decision.missed > 0) this.#o.logger.info({ attachment: row.attachment_id, slot, missed: decision.missed }, 'one catch-up backup for the scheduled slots missed in the last hour');
      const done = this.#run(row, slot).finally(() => this.#running.delete(row.attachment_id));
      this.#running.set(row.attachment_id, done);
      taken.push({ attachmentId: row.attachment_id, slot, done });
    }
    return taken;
  }

  /** Waits for the backups running now (tests, shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.#running.values()]);
  }

  /** Stops passing; waits a little for running backups, then marks the slots still running as interrupted. */
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
    const at = new Date(this.#o.clock.now()).toISOString();
    await this.#o.ctx.db
      .updateTable('service_backup_schedules')
      .set({ last_status: 'failed', last_finished_at: at, last_error: 'interrupted: the server stopped during the backup; the next slot backs up again', updated_at: at })
      .where('attachment_id', 'in', [...this.#running.keys()])
      .where('last_owner', '=', this.#o.owner)
      .where('last_status', '=', 'running')
      .execute()
      .catch((error: unknown) => this.#o.logger.warn({ err: error }, 'could not mark interrupted scheduled backups'));
  }

  async #run(row: ServiceBackupSchedulesTable, slot: string): Promise<void> {
    const { ctx, logger, owner } = this.#o;
    const db = ctx.db;
    const finish = async (values: { last_status: 'ok' | 'failed'; last_backup_id: string | null; last_error: string | null }) => {
      const at = new Date(this.#o.clock.now()).toISOString();
      await db.updateTable('service_backup_schedules').set({ ...values, last_finished_at: at, updated_at: at }).where('attachment_id', '=', row.attachment_id).where('last_slot', '=', slot).where('last_owner', '=', owner).execute();
    };
    let where: { project?: string; environment?: string } = {};
    let serviceName = row.service_id;
    try {
      const found = await db
        .selectFrom('service_attachments as a')
        .innerJoin('environments as e', 'e.id', 'a.environment_id')
        .innerJoin('projects as p', 'p.id', 'e.project_id')
        .innerJoin('workspaces as w', 'w.id', 'p.workspace_id')
        .selectAll('a')
        .select(['w.name as w_name', 'w.tier as w_tier', 'w.created_at as w_created', 'w.updated_at as w_updated'])
        .where('a.id', '=', row.attachment_id)
        .where('a.state', '=', 'attached')
        .executeTakeFirst();
      if (!found) throw new Error('the attachment is being detached; no backup was made');
      const { w_name, w_tier, w_created, w_updated, ...attachment } = found;
      const service = await db.selectFrom('services').selectAll().where('id', '=', attachment.service_id).executeTakeFirstOrThrow();
      serviceName = service.name;
      const project = await db.selectFrom('projects').selectAll().where('id', '=', attachment.project_id).executeTakeFirstOrThrow();
      const environment = await db.selectFrom('environments').selectAll().where('id', '=', attachment.environment_id).executeTakeFirstOrThrow();
      where = { project: project.name, environment: environment.name };
      const access: EnvironmentAccess = { principal: scheduler, role: 'owner', workspace: { id: attachment.workspace_id, name: w_name, tier: w_tier, createdAt: w_created, updatedAt: w_updated }, project, environment };
      const backup = await backupAttachment(ctx, access, service, attachment, { trigger: 'schedule', reason: `schedule '${row.cron}', slot ${slot}` });
      await finish({ last_status: 'ok', last_backup_id: backup.id, last_error: null });
      // The backup was announced as it was stored (`backed-up`); this is its schedule's outcome.
      announceService(row.workspace_id, serviceName, 'backup-scheduled', where);
      logger.info({ service: serviceName, ...where, slot, backup: backup.id }, 'scheduled backup made');
    } catch (error) {
      logger.warn({ service: serviceName, ...where, slot, err: why(error) }, 'a scheduled backup failed');
      await finish({ last_status: 'failed', last_backup_id: null, last_error: why(error).slice(0, 2000) }).catch((e: unknown) => logger.warn({ err: e }, 'could not store the outcome of a scheduled backup'));
      announceService(row.workspace_id, serviceName, 'backup-failed', where);
      return;
    }
    // The schedule's keep, read again (it may have changed while the dump ran). A failure here
    // leaves the old ones for the next slot to remove; the backup itself succeeded.
    try {
      const current = await db.selectFrom('service_backup_schedules').select('keep').where('attachment_id', '=', row.attachment_id).executeTakeFirst();
      const keep = current?.keep === null || current?.keep === undefined ? 0 : Number(current.keep);
      const removed = keep > 0 ? await pruneBackups(db, ctx.dataDir, row.attachment_id, keep, { trigger: 'schedule', why: `the newest ${keep} scheduled backups are kept (backup schedule --keep ${keep})` }) : [];
      if (removed.length > 0) announceService(row.workspace_id, serviceName, 'backup-removed', where);
    } catch (error) {
      logger.warn({ service: serviceName, ...where, err: why(error) }, "removing old scheduled backups (the schedule's keep) failed; the next slot tries again");
    }
  }
}
