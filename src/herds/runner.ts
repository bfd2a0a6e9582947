/**
 * The herd runner: moves each unfinished herd upgrade one step further per reconcile, never
 * waiting inside one for a deploy, a migration or a bake to end (controller-runtime's short
 * reconciles; the controller requeues it).
 *
 * `reconcile(id)` claims the upgrade (a lease: one control plane drives an upgrade at a time; a
 * crashed one's lease lapses and another takes over where the stored steps say), advances every
 * site in flight by what has happened since (site-steps.ts: each step's effect is recorded in
 * the same write that moves the site on, so a crash repeats at most an idempotent action and
 * never redoes or skips a site), then asks the pure plan (core/herd.ts `tick`) which sites to
 * start, whether the budget halts the upgrade, and whether it is over.
 *
 * @module
 */
import type { Logger } from 'pino';
import { inFlight, tick, type HerdState, type SiteStep } from '../core/herd.js';
import { nowIso } from '../platform/time.js';
import type { Db, HerdUpgradesTable } from '../store/schema.js';
import { isSlipwayError } from '../core/errors.js';
import { advanceSite, appendSiteEvent, type SiteContext, type UpgradeSite } from './site-steps.js';
import { failSite, moveSite, sayOnce, upgradeSites } from './site-store.js';
import { upgradeChanged } from './bus.js';
import type { UpgradeOptions } from './upgrades.js';

export interface HerdRunnerOptions extends SiteContext {
  logger: Logger;
  /** This server's identity as a lease owner. */
  owner: string;
  /** Whether a cron window is open at `at`. */
  windowOpen(cron: string, at: Date): boolean;
  /** @default 30_000 */
  leaseMs?: number;
}

/** While sites are in flight the upgrade is looked at this often. */
const busyMs = 500;
/** One look at a site returns within this (a dump or a restore that hangs must not stall the other sites); it is tried again. */
const stepTimeoutMs = 120_000;

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** A step that keeps failing for this long fails its site. */
const stuckAfterMs = 10 * 60_000;
/** While nothing is in flight (paused, outside its window, waiting for an approval). */
const idleMs = 5_000;

export class HerdRunner {
  constructor(private readonly o: HerdRunnerOptions) {}

  get leaseMs(): number {
    return this.o.leaseMs ?? 30_000;
  }

  /** Upgrades not finished (the controller's resync list). */
  async pending(): Promise<string[]> {
    const rows = await this.o.db.selectFrom('herd_upgrades').select('id').where('finished_at', 'is', null).orderBy('created_at').execute();
    return rows.map((r) => r.id);
  }

  async reconcile(id: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number } | void> {
    let row = await this.o.db.selectFrom('herd_upgrades').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.finished_at !== null || signal.aborted) return;
    if (!(await this.#claim(row))) {
      const left = row.lease_until ? Date.parse(row.lease_until) - Date.now() : 0;
      return { requeueAfterMs: Math.max(busyMs, left + 100) };
    }
    const options = JSON.parse(row.options) as UpgradeOptions;
    // Every site in flight, one step further (concurrently: each waits on its own deploy or dump).
    const moving = await upgradeSites(this.o.db, row.id, 'moving');
    await Promise.all(
      moving.map((site) =>
        withTimeout(advanceSite(this.o, row!, options, site), stepTimeoutMs, `site ${site.site}: its ${site.step} step did not return within ${stepTimeoutMs / 1000} s`).catch((error: unknown) => this.#stepFailed(row!, site, error)),
      ),
    );
    if (signal.aborted) return;
    row = (await this.o.db.selectFrom('herd_upgrades').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as HerdUpgradesTable;
    const sites = await upgradeSites(this.o.db, row.id, 'open');
    const now = new Date();
    const windowOpen = options.window === null || this.o.windowOpen(options.window, now);
    const decision = tick({
      state: row.state as HerdState,
      sites: sites.map((s) => ({ key: s.environment_id, wave: s.wave, position: s.position, step: s.step as SiteStep, windowOpen: s.site_window === null || this.o.windowOpen(s.site_window, now) })),
      parallel: options.parallel,
      failures: row.failures,
      failureBudget: row.failure_budget,
      windowOpen,
    });
    const at = nowIso();
    for (const key of decision.start) {
      const r = await this.o.db.updateTable('herd_upgrade_sites').set({ step: 'backup', started_at: at, step_started_at: at }).where('upgrade_id', '=', row.id).where('environment_id', '=', key).where('step', '=', 'pending').executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) await appendSiteEvent(this.o.db, row.id, key, 'backup', `started in wave ${sites.find((s) => s.environment_id === key)?.wave ?? '?'}: backing up its services and volumes`);
    }
    if (decision.state !== row.state || decision.settled) {
      await this.o.db
        .updateTable('herd_upgrades')
        .set({ state: decision.state, reason: decision.reason ?? row.reason, updated_at: at, ...(decision.settled ? { active_key: null, finished_at: at, lease_owner: null, lease_until: null } : {}) })
        .where('id', '=', row.id)
        .where('state', '=', row.state)
        .execute();
      upgradeChanged(row.id);
      if (decision.state !== row.state) await this.#announce(row, decision.state, decision.reason);
    }
    if (decision.settled) return;
    const busy = decision.start.length > 0 || sites.some((s) => inFlight(s.step as SiteStep));
    return { requeueAfterMs: busy ? busyMs : idleMs };
  }

  /**
   * A step that threw. A Slipway refusal while backing up or cloning (a service unreachable, a
   * backup refused) fails the site at once, and while reverting leaves it `revert-failed`;
   * anything else (the store, a timeout, a clone still deploying) is tried again at the next
   * reconcile, for ten minutes at most (a rejection's clean-up, for as long as it takes).
   */
  async #stepFailed(row: HerdUpgradesTable, site: UpgradeSite, error: unknown): Promise<void> {
    const line = (error as Error).message.split('\n')[0] ?? String(error);
    const stuck = site.step !== 'rejecting' && site.step_started_at !== null && Date.now() - Date.parse(site.step_started_at) > stuckAfterMs;
    const refused = isSlipwayError(error) && (site.step === 'backup' || site.step === 'clone' || site.step === 'reverting');
    if (refused || stuck) {
      const why = isSlipwayError(error) ? `${error.code}: ${line}` : `gave up after ${stuckAfterMs / 60_000} minutes of: ${line}`;
      if (site.step === 'reverting') {
        if (await moveSite(this.o.db, site, 'reverting', 'revert-failed', { error: `${site.error ?? ''}; ${why}`.slice(0, 1000) })) await appendSiteEvent(this.o.db, row.id, site.environment_id, 'revert-failed', `the revert failed: ${why}; the site needs an operator`);
        return;
      }
      await failSite(this.o, site, why);
      return;
    }
    this.o.logger.warn({ err: error, upgrade: row.id, site: site.site }, 'herd upgrade: a site step failed; retrying');
    await sayOnce(this.o.db, row.id, site.environment_id, site.step, `retrying: ${line}`);
  }

  async #announce(row: HerdUpgradesTable, state: HerdState, reason: string | null): Promise<void> {
    if (state !== 'halted' && state !== 'succeeded') return;
    const app = await this.o.db.selectFrom('applications').select('name').where('id', '=', row.application_id).executeTakeFirst();
    const message = state === 'halted' ? `the upgrade of ${app?.name ?? '?'} to ${row.to_version} (${row.id}) halted: ${reason ?? ''}` : `the upgrade of ${app?.name ?? '?'} to ${row.to_version} (${row.id}) succeeded`;
    await this.o.notify?.(row.application_id, { kind: 'upgrade', message, details: { id: row.id, to: row.to_version, state, failures: row.failures }, dedupeKey: `upgrade:${row.id}:${state}:${row.updated_at}` }).catch((error: unknown) => this.o.logger.warn({ err: error }, 'herd upgrade: notifying failed'));
  }

  /** Claims (or keeps) the upgrade's lease: false while another live server holds it. */
  async #claim(row: HerdUpgradesTable): Promise<boolean> {
    const now = nowIso();
    const until = new Date(Date.now() + this.leaseMs).toISOString();
    const r = await this.o.db
      .updateTable('herd_upgrades')
      .set({ lease_owner: this.o.owner, lease_until: until })
      .where('id', '=', row.id)
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', this.o.owner), eb('lease_until', '<', now)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
