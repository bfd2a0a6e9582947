/**
 * Herd upgrades as records: planning one (selectors, canaries, batches, the failure budget; the
 * same plan for `--dry-run` and for a real run), storing it with a row per site in one
 * transaction, reading its status (waves, each site's step) in two queries whatever the herd's
 * size, and the operator's verbs: pause, resume, abort (optionally reverting finished sites),
 * and a staged site's approval or rejection. The runner (runner.ts) moves the sites.
 *
 * One upgrade at a time per application: `active_key` holds the application's id while an
 * upgrade is running or paused (and until its last site in flight ends), under a unique index.
 *
 * @module
 */
import { SlipwayError, notFound } from '../core/errors.js';
import { checkWaves, finalSteps, planUpgrade, type HerdPlan, type HerdState, type SiteStep } from '../core/herd.js';
import { recordAudit, type Actor } from '../audit/audit.js';
import type { ApplicationsTable, Db, Executor, HerdUpgradeSitesTable, HerdUpgradesTable } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { syncProjectVersions } from '../apps/applications.js';
import { siteRows, type SiteRow } from '../apps/site-rows.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { actorOf } from '../tenancy/principal.js';
import { herdBus } from './bus.js';

export interface UpgradeInput {
  to: string;
  /** A site selector (core/herd.ts); null: every site. */
  sites?: string | null | undefined;
  /** Exactly these sites (a policy's upgrade); combined with `sites` if both are given. */
  names?: string[] | undefined;
  canary?: number | undefined;
  batch?: string | undefined;
  parallel?: number | undefined;
  bake?: string | number | undefined;
  failureBudget?: string | undefined;
  window?: string | null | undefined;
  allowDowngrade?: boolean | undefined;
}

/** The options as stored with the upgrade (compiled once: defaults applied, durations in seconds). */
export interface UpgradeOptions {
  canary: number;
  batch: string;
  parallel: number;
  /** 0: no bake of its own (an environment's own health gate still applies). */
  bakeSeconds: number;
  failureBudget: string;
  window: string | null;
  allowDowngrade: boolean;
  /** Set by `herd abort --revert`: finished sites go back too. */
  revertOnAbort?: boolean;
}

export const upgradeDefaults = { canary: 1, batch: '25%', parallel: 5, bake: '30s', failureBudget: '0' } as const;

/** Checks a cron window's syntax; the runner's matcher decides when it is open. Injected so this module stays free of the parser's home. */
export type WindowCheck = (cron: string) => void;

export function compileOptions(input: UpgradeInput, checkWindow: WindowCheck): UpgradeOptions {
  const { canary, parallel, bakeSeconds } = checkWaves({ canary: input.canary ?? upgradeDefaults.canary, parallel: input.parallel ?? upgradeDefaults.parallel, bake: input.bake ?? upgradeDefaults.bake }, (option) => `--${option}`);
  const window = input.window ?? null;
  if (window !== null) checkWindow(window);
  return { canary, batch: input.batch ?? upgradeDefaults.batch, parallel, bakeSeconds, failureBudget: input.failureBudget ?? upgradeDefaults.failureBudget, window, allowDowngrade: input.allowDowngrade ?? false };
}

export interface PlannedUpgrade {
  plan: HerdPlan;
  options: UpgradeOptions;
  digest: string;
  sites: SiteRow[];
}

/** The plan of an upgrade of `app`'s sites, from the store, without storing anything. */
export async function planHerdUpgrade(db: Executor, app: ApplicationsTable, input: UpgradeInput, checkWindow: WindowCheck): Promise<PlannedUpgrade> {
  const options = compileOptions(input, checkWindow);
  await syncProjectVersions(db, app);
  const version = await db.selectFrom('application_versions').select(['tag', 'digest']).where('application_id', '=', app.id).where('tag', '=', input.to).executeTakeFirst();
  if (!version) throw new SlipwayError('SLW_NOT_FOUND', `application '${app.name}' has no version '${input.to}'; list its versions with slipway app versions ${app.name}`);
  let sites = await siteRows(db, app.id);
  if (input.names) {
    const wanted = new Set(input.names);
    sites = sites.filter((s) => wanted.has(s.name));
  }
  const plan = planUpgrade(sites, { to: input.to, selector: input.sites ?? null, canary: options.canary, batch: options.batch, failureBudget: options.failureBudget, allowDowngrade: options.allowDowngrade });
  return { plan, options, digest: version.digest, sites };
}

const busy = (app: ApplicationsTable, other: { id: string; state: string } | undefined) =>
  new SlipwayError('SLW_HERD_BUSY', `application '${app.name}' is being upgraded already (${other ? `upgrade ${other.id}, ${other.state}` : 'another upgrade'}); wait for it, or pause/abort it with slipway herd abort ${other?.id ?? 'ID'}`);

/** The upgrade that holds the application now, if any. */
export async function activeUpgrade(db: Executor, applicationId: string): Promise<HerdUpgradesTable | undefined> {
  return db.selectFrom('herd_upgrades').selectAll().where('active_key', '=', applicationId).executeTakeFirst();
}

/** Plans and stores an upgrade (its sites in their waves; sites already on the version as skipped); the runner starts it. */
export async function startHerdUpgrade(db: Db, access: WorkspaceAccess, app: ApplicationsTable, input: UpgradeInput, trigger: 'manual' | 'continuous', checkWindow: WindowCheck): Promise<HerdUpgradesTable> {
  const other = await activeUpgrade(db, app.id);
  if (other) throw busy(app, other);
  const { plan, options, digest, sites } = await planHerdUpgrade(db, app, input, checkWindow);
  const byName = new Map(sites.map((s) => [s.name, s]));
  const now = nowIso();
  const row: HerdUpgradesTable = {
    id: newId('hup'),
    workspace_id: app.workspace_id,
    application_id: app.id,
    active_key: app.id,
    to_version: plan.to,
    to_digest: digest,
    selector: input.sites ?? null,
    options: JSON.stringify(options),
    failure_budget: plan.failureBudget,
    failures: 0,
    state: 'running',
    trigger,
    reason: null,
    created_at: now,
    // A policy's upgrade is the system's: no user made it.
    created_by: trigger === 'continuous' ? null : access.principal.userId,
    updated_at: now,
    finished_at: null,
    lease_owner: null,
    lease_until: null,
    logs_pruned_at: null,
  };
  const siteRow = (name: string, wave: number, position: number, step: SiteStep): HerdUpgradeSitesTable => {
    const s = byName.get(name)!;
    return { upgrade_id: row.id, environment_id: s.environmentId, site: name, wave, position, step, from_version: s.version, from_release: s.release, backups: '[]', deployment_id: null, revert_deployment_id: null, clone_environment_id: null, error: null, started_at: null, step_started_at: null, finished_at: step === 'skipped' ? now : null };
  };
  const rows: HerdUpgradeSitesTable[] = [];
  let position = 0;
  for (const wave of plan.waves) for (const name of wave.sites) rows.push(siteRow(name, wave.index, position++, 'pending'));
  for (const name of plan.skipped) rows.push(siteRow(name, -1, position++, 'skipped'));
  try {
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('herd_upgrades').values(row).execute();
      // Bounded batches: SQLite takes at most 32,766 bound values per statement.
      for (let i = 0; i < rows.length; i += 500) await tx.insertInto('herd_upgrade_sites').values(rows.slice(i, i + 500)).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: app.workspace_id, action: 'herd.upgrade', targetType: 'application', target: app.name, details: { id: row.id, to: plan.to, trigger, selector: row.selector, waves: plan.waves.length, sites: rows.length - plan.skipped.length, failureBudget: plan.failureBudget } });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw busy(app, await activeUpgrade(db, app.id));
    throw error;
  }
  herdBus.emit('wake', row.id);
  return row;
}

export interface HerdSiteView {
  site: string;
  wave: number;
  step: SiteStep;
  fromVersion: string | null;
  error: string | null;
  clone: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface HerdWaveView {
  index: number;
  kind: 'canary' | 'batch';
  sites: number;
  /** Sites per step. */
  steps: Partial<Record<SiteStep, number>>;
}

export interface HerdUpgradeView {
  id: string;
  application: string;
  to: string;
  state: HerdState;
  trigger: string;
  reason: string | null;
  selector: string | null;
  options: UpgradeOptions;
  failureBudget: number;
  failures: number;
  /** The wave being worked on (null when none is left). */
  wave: number | null;
  waves: HerdWaveView[];
  sites: HerdSiteView[];
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** When log retention removed its sites' step logs; null: they are all there. */
  logsPrunedAt: string | null;
}

export async function findUpgrade(db: Executor, access: WorkspaceAccess, id: string): Promise<HerdUpgradesTable> {
  const row = await db.selectFrom('herd_upgrades').selectAll().where('id', '=', id).where('workspace_id', '=', access.workspace.id).executeTakeFirst();
  if (!row) throw notFound('herd upgrade', id);
  return row;
}

/** The upgrade with every site's step, grouped in waves (two queries). */
export async function upgradeView(db: Executor, row: HerdUpgradesTable): Promise<HerdUpgradeView> {
  const app = await db.selectFrom('applications').select('name').where('id', '=', row.application_id).executeTakeFirst();
  const sites = await db
    .selectFrom('herd_upgrade_sites as h')
    .leftJoin('environments as c', 'c.id', 'h.clone_environment_id')
    .select(['h.site', 'h.wave', 'h.position', 'h.step', 'h.from_version', 'h.error', 'h.started_at', 'h.finished_at', 'c.name as clone'])
    .where('h.upgrade_id', '=', row.id)
    .orderBy('h.position')
    .execute();
  const options = JSON.parse(row.options) as UpgradeOptions;
  const waves = new Map<number, HerdWaveView>();
  let current: number | null = null;
  for (const s of sites) {
    if (s.wave < 0) continue;
    const w = waves.get(s.wave) ?? { index: s.wave, kind: s.wave === 0 && options.canary > 0 ? 'canary' : 'batch', sites: 0, steps: {} };
    w.sites += 1;
    const step = s.step as SiteStep;
    w.steps[step] = (w.steps[step] ?? 0) + 1;
    waves.set(s.wave, w);
    if (!finalSteps.has(step) && (current === null || s.wave < current)) current = s.wave;
  }
  return {
    id: row.id,
    application: app?.name ?? '(removed)',
    to: row.to_version,
    state: row.state as HerdState,
    trigger: row.trigger,
    reason: row.reason,
    selector: row.selector,
    options,
    failureBudget: row.failure_budget,
    failures: row.failures,
    wave: current,
    waves: [...waves.values()].sort((a, b) => a.index - b.index),
    sites: sites.map((s) => ({ site: s.site, wave: s.wave, step: s.step as SiteStep, fromVersion: s.from_version, error: s.error, clone: s.clone ?? null, startedAt: s.started_at, finishedAt: s.finished_at })),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    logsPrunedAt: row.logs_pruned_at,
  };
}

/** Upgrades without their sites: each wave's step counts from one grouped query for all of them (a list of herds of 10,000 sites reads counts, not rows). */
export async function upgradeSummaries(db: Executor, rows: HerdUpgradesTable[]): Promise<Omit<HerdUpgradeView, 'sites'>[]> {
  if (rows.length === 0) return [];
  const counts = await db
    .selectFrom('herd_upgrade_sites')
    .select((eb) => ['upgrade_id', 'wave', 'step', eb.fn.countAll<number>().as('n')])
    .where('upgrade_id', 'in', rows.map((r) => r.id))
    .where('wave', '>=', 0)
    .groupBy(['upgrade_id', 'wave', 'step'])
    .execute();
  const names = new Map((await db.selectFrom('applications').select(['id', 'name']).where('id', 'in', [...new Set(rows.map((r) => r.application_id))]).execute()).map((a) => [a.id, a.name]));
  return rows.map((row) => {
    const options = JSON.parse(row.options) as UpgradeOptions;
    const waves = new Map<number, HerdWaveView>();
    let current: number | null = null;
    for (const c of counts.filter((x) => x.upgrade_id === row.id)) {
      const w = waves.get(c.wave) ?? { index: c.wave, kind: c.wave === 0 && options.canary > 0 ? 'canary' : 'batch', sites: 0, steps: {} };
      const step = c.step as SiteStep;
      w.sites += Number(c.n);
      w.steps[step] = (w.steps[step] ?? 0) + Number(c.n);
      waves.set(c.wave, w);
      if (!finalSteps.has(step) && (current === null || c.wave < current)) current = c.wave;
    }
    return { id: row.id, application: names.get(row.application_id) ?? '(removed)', to: row.to_version, state: row.state as HerdState, trigger: row.trigger, reason: row.reason, selector: row.selector, options, failureBudget: row.failure_budget, failures: row.failures, wave: current, waves: [...waves.values()].sort((a, b) => a.index - b.index), createdAt: row.created_at, updatedAt: row.updated_at, finishedAt: row.finished_at, logsPrunedAt: row.logs_pruned_at };
  });
}

/** The application's upgrades, newest first. */
export async function listUpgrades(db: Executor, app: ApplicationsTable, limit = 50): Promise<HerdUpgradesTable[]> {
  return db.selectFrom('herd_upgrades').selectAll().where('application_id', '=', app.id).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

async function audit(tx: Executor, actor: Actor, row: HerdUpgradesTable, action: string, details: Record<string, unknown> = {}) {
  const app = await tx.selectFrom('applications').select('name').where('id', '=', row.application_id).executeTakeFirst();
  await recordAudit(tx, actor, { workspaceId: row.workspace_id, action, targetType: 'application', target: app?.name ?? row.application_id, details: { id: row.id, ...details } });
}

const refuse = (row: HerdUpgradesTable, verb: string, allowed: string) => new SlipwayError('SLW_HERD_STATE', `herd upgrade ${row.id} is ${row.state}; only ${allowed} upgrade can be ${verb}`);

/** Stops starting sites; sites in flight finish their step chain. */
export async function pauseUpgrade(db: Db, access: WorkspaceAccess, id: string): Promise<HerdUpgradesTable> {
  const row = await findUpgrade(db, access, id);
  if (row.state !== 'running') throw refuse(row, 'paused', 'a running');
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('herd_upgrades').set({ state: 'paused', updated_at: nowIso() }).where('id', '=', id).where('state', '=', 'running').execute();
    await audit(tx, actorOf(access.principal), row, 'herd.pause');
  });
  herdBus.emit('wake', id);
  return findUpgrade(db, access, id);
}

/**
 * Goes on with a paused or halted upgrade. A halted one starts over its failed sites (their
 * reverts are done: they are pending again) with its failure budget afresh, so a fix (a label, a
 * new version of the migration) can be tried on them.
 */
export async function resumeUpgrade(db: Db, access: WorkspaceAccess, id: string): Promise<HerdUpgradesTable> {
  const row = await findUpgrade(db, access, id);
  if (row.state !== 'paused' && row.state !== 'halted') throw refuse(row, 'resumed', 'a paused or halted');
  const now = nowIso();
  try {
    await db.transaction().execute(async (tx) => {
      if (row.state === 'halted') {
        await tx.updateTable('herd_upgrade_sites').set({ step: 'pending', error: null, deployment_id: null, revert_deployment_id: null, backups: '[]', started_at: null, step_started_at: null, finished_at: null }).where('upgrade_id', '=', id).where('step', '=', 'reverted').execute();
      }
      const r = await tx.updateTable('herd_upgrades').set({ state: 'running', failures: row.state === 'halted' ? 0 : row.failures, reason: null, active_key: row.application_id, finished_at: null, updated_at: now }).where('id', '=', id).where('state', '=', row.state).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw refuse(await findUpgrade(tx, access, id), 'resumed', 'a paused or halted');
      await audit(tx, actorOf(access.principal), row, 'herd.resume', { from: row.state });
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      const other = await activeUpgrade(db, row.application_id);
      throw new SlipwayError('SLW_HERD_BUSY', `another upgrade of this application (${other?.id ?? '?'}) runs now; finish or abort it before resuming ${id}`);
    }
    throw error;
  }
  herdBus.emit('wake', id);
  return findUpgrade(db, access, id);
}

/**
 * Ends an upgrade: no site starts any more; sites in flight finish (a staged site waiting for
 * approval has its clone removed). With `revert`, every site it finished goes back to its
 * previous release and its backups are restored (data written since is lost: said in the answer).
 */
export async function abortUpgrade(db: Db, access: WorkspaceAccess, id: string, revert: boolean): Promise<HerdUpgradesTable> {
  const row = await findUpgrade(db, access, id);
  if (row.state !== 'running' && row.state !== 'paused' && row.state !== 'halted') throw refuse(row, 'aborted', 'a running, paused or halted');
  const options = { ...(JSON.parse(row.options) as UpgradeOptions), revertOnAbort: revert };
  const now = nowIso();
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('herd_upgrades').set({ state: 'aborted', options: JSON.stringify(options), reason: `aborted${revert ? ', finished sites reverted' : ''}`, active_key: row.application_id, finished_at: null, updated_at: now }).where('id', '=', id).execute();
    await tx.updateTable('herd_upgrade_sites').set({ step: 'rejecting', step_started_at: now }).where('upgrade_id', '=', id).where('step', '=', 'awaiting-approval').execute();
    if (revert) await tx.updateTable('herd_upgrade_sites').set({ step: 'reverting', step_started_at: now, error: 'reverted by herd abort --revert' }).where('upgrade_id', '=', id).where('step', '=', 'done').execute();
    await audit(tx, actorOf(access.principal), row, 'herd.abort', { revert });
  });
  herdBus.emit('wake', id);
  return findUpgrade(db, access, id);
}

/** A staged site's decision: approved, it is cut over (the live path); rejected, its clone is removed and it stays. */
export async function decideStagedSite(db: Db, access: WorkspaceAccess, id: string, site: string, decision: 'approve' | 'reject'): Promise<HerdUpgradesTable> {
  const row = await findUpgrade(db, access, id);
  const s = await db.selectFrom('herd_upgrade_sites').selectAll().where('upgrade_id', '=', id).where('site', '=', site).executeTakeFirst();
  if (!s) throw notFound('site', site, `herd upgrade ${id}`);
  if (s.step !== 'awaiting-approval') throw new SlipwayError('SLW_HERD_STATE', `site '${site}' is at step ${s.step} of upgrade ${id}, not awaiting approval`);
  const now = nowIso();
  await db.transaction().execute(async (tx) => {
    // Approved: a fresh backup of the live site first (its data moved on since the clone's copy).
    const r = await tx.updateTable('herd_upgrade_sites').set({ step: decision === 'approve' ? 'backup' : 'rejecting', step_started_at: now, backups: '[]' }).where('upgrade_id', '=', id).where('environment_id', '=', s.environment_id).where('step', '=', 'awaiting-approval').executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new SlipwayError('SLW_HERD_STATE', `site '${site}' was decided already`);
    await audit(tx, actorOf(access.principal), row, decision === 'approve' ? 'herd.approve' : 'herd.reject', { site });
  });
  herdBus.emit('wake', id);
  return row;
}

/** A site's step log in an upgrade, and when log retention removed the upgrade's step logs (null: never). */
export async function siteEvents(db: Executor, access: WorkspaceAccess, id: string, site: string): Promise<{ events: { at: string; step: string; message: string }[]; logsPrunedAt: string | null }> {
  const upgrade = await findUpgrade(db, access, id);
  const s = await db.selectFrom('herd_upgrade_sites').select('environment_id').where('upgrade_id', '=', id).where('site', '=', site).executeTakeFirst();
  if (!s) throw notFound('site', site, `herd upgrade ${id}`);
  const events = await db.selectFrom('herd_site_events').select(['at', 'step', 'message']).where('upgrade_id', '=', id).where('environment_id', '=', s.environment_id).orderBy('seq').execute();
  return { events, logsPrunedAt: upgrade.logs_pruned_at };
}
