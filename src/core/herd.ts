/**
 * Herd upgrade planning, pure: which sites a selector picks, and the waves an upgrade moves them
 * in (canaries first, then batches), with the failure budget that halts it. The herd controller
 * runs the plan; this decides it, so `--dry-run` shows exactly what a real run would do.
 *
 * Selectors are comma-separated terms, all of which must hold:
 * `key=value` (a label, or `name`, `version`, `channel`), `key=a|b` (any of), `key!=value`,
 * `key` (the label is set), `!key` (it is not).
 *
 * @module
 */
import { SlipwayError } from './errors.js';
import { BAKE_MAX_SECONDS, BAKE_MIN_SECONDS } from './gates.js';
import { parseDuration } from './manifest.js';
import { compareSemVer, parseSemVer } from './semver.js';

export interface HerdSite {
  name: string;
  /** The version it runs; null before its first deploy. */
  version: string | null;
  channel: string;
  labels: Record<string, string>;
}

type Term = { key: string; op: 'in' | 'not-in' | 'set' | 'unset'; values: string[] };
export interface Selector {
  text: string;
  terms: Term[];
}

const keyPattern = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/i;
const valuePattern = /^[A-Za-z0-9._*+-]{1,128}$/;

export function parseSelector(text: string): Selector {
  const terms: Term[] = [];
  const bad = (why: string) => new SlipwayError('SLW_INVALID_SELECTOR', `site selector '${text}': ${why}; write terms like region=eu,plan!=free,version=1.2.0,tier=gold|silver,!legacy`);
  for (const raw of text.split(',').map((t) => t.trim())) {
    if (raw === '') throw bad('an empty term');
    const m = /^(!)?([^=!]+?)(?:(!=|=)(.*))?$/.exec(raw);
    if (!m || !keyPattern.test(m[2]!)) throw bad(`'${raw}' is not key=value, key!=value, key or !key`);
    if (m[1] && m[3]) throw bad(`'${raw}' mixes ! and a value`);
    if (!m[3]) {
      terms.push({ key: m[2]!, op: m[1] ? 'unset' : 'set', values: [] });
      continue;
    }
    const values = m[4]!.split('|');
    if (!values.every((v) => valuePattern.test(v))) throw bad(`'${m[4]}' is not a value (letters, digits, . _ - +, and | between alternatives)`);
    terms.push({ key: m[2]!, op: m[3] === '=' ? 'in' : 'not-in', values });
  }
  return { text, terms };
}

function valueOf(site: HerdSite, key: string): string | undefined {
  if (key === 'name') return site.name;
  if (key === 'version') return site.version ?? undefined;
  if (key === 'channel') return site.channel;
  return Object.hasOwn(site.labels, key) ? site.labels[key] : undefined;
}

export function matches(selector: Selector, site: HerdSite): boolean {
  return selector.terms.every((t) => {
    const v = valueOf(site, t.key);
    if (t.op === 'set') return v !== undefined;
    if (t.op === 'unset') return v === undefined;
    const hit = v !== undefined && t.values.includes(v);
    return t.op === 'in' ? hit : !hit;
  });
}

/** The most sites one upgrade moves at once. */
export const maxParallel = 50;

/** `5` or `25%` of `total` (a share rounds up, at least 1 when total > 0). */
export function parseCount(text: string, total: number, what: string): number {
  const m = /^(\d+)(%)?$/.exec(text.trim());
  if (!m) throw new SlipwayError('SLW_VALIDATION', `${what} '${text}' is a number of sites or a percentage like 25%`);
  const n = Number(m[1]);
  if (!m[2]) return n;
  if (n > 100) throw new SlipwayError('SLW_VALIDATION', `${what} ${text} is above 100%`);
  return total === 0 ? 0 : Math.max(n === 0 ? 0 : 1, Math.ceil((total * n) / 100));
}

/** The wave options an upgrade and an application's automatic upgrades share, as given. */
export interface WaveInput {
  canary: number;
  parallel: number;
  /** A duration (`30s`, `2m`) or seconds; 0: no bake. */
  bake: string | number;
}

/**
 * Checks the shared wave options (canaries, sites at once, bake) and answers the bake in seconds;
 * `flag` names an option as its caller spells it (`--canary`, `--continuous-canary`), so every
 * refusal is SLW_VALIDATION naming what to change.
 */
export function checkWaves(input: WaveInput, flag: (option: keyof WaveInput) => string): { canary: number; parallel: number; bakeSeconds: number } {
  const { canary, parallel, bake } = input;
  const invalid = (option: keyof WaveInput, why: string) => new SlipwayError('SLW_VALIDATION', `${flag(option)} ${why}`);
  if (!Number.isInteger(canary) || canary < 0 || canary > 1000) throw invalid('canary', `${canary}: give a number of sites from 0 to 1000`);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > maxParallel) throw invalid('parallel', `${parallel}: give 1 to ${maxParallel} sites at once`);
  let bakeSeconds: number;
  try {
    bakeSeconds = parseDuration(bake);
  } catch {
    throw invalid('bake', `'${bake}' is not a duration like 30s, 10m or 1h, or 0 for none`);
  }
  if (bakeSeconds !== 0 && (bakeSeconds < BAKE_MIN_SECONDS || bakeSeconds > BAKE_MAX_SECONDS)) throw invalid('bake', `${bake}: bake ${BAKE_MIN_SECONDS} s to ${BAKE_MAX_SECONDS / 3600} h, or 0 for none`);
  return { canary, parallel, bakeSeconds };
}

export interface UpgradeOptions {
  to: string;
  selector: string | null;
  canary: number;
  batch: string;
  failureBudget: string;
  allowDowngrade: boolean;
}

export interface Wave {
  index: number;
  kind: 'canary' | 'batch';
  sites: string[];
}

export interface HerdPlan {
  to: string;
  waves: Wave[];
  /** Sites the selector picked that already run the target version. */
  skipped: string[];
  /** Failures tolerated; one more halts the upgrade. */
  failureBudget: number;
}

/**
 * The waves of an upgrade of `sites` to `options.to`: the selected sites not on it yet, in name
 * order (stable between a plan and its run), the first `canary` of them alone, then batches.
 */
export function planUpgrade(sites: HerdSite[], options: UpgradeOptions): HerdPlan {
  const target = parseSemVer(options.to);
  const selector = options.selector ? parseSelector(options.selector) : null;
  const picked = (selector ? sites.filter((s) => matches(selector, s)) : sites).slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (picked.length === 0) {
    throw new SlipwayError('SLW_HERD_NO_SITES', selector ? `no site matches '${selector.text}' (${sites.length} site(s) in the application); check the labels with slipway site list` : 'the application has no sites yet; create one with slipway site create');
  }
  const skipped = picked.filter((s) => s.version === options.to).map((s) => s.name);
  const todo = picked.filter((s) => s.version !== options.to);
  if (!options.allowDowngrade && target) {
    const newer = todo.filter((s) => {
      const current = s.version ? parseSemVer(s.version) : null;
      return current !== null && compareSemVer(current, target) > 0;
    });
    if (newer.length > 0) {
      throw new SlipwayError('SLW_DOWNGRADE', `${options.to} is older than what ${newer.length} site(s) run (e.g. ${newer[0]!.name} on ${newer[0]!.version}); pass --allow-downgrade to move them back, or narrow --sites`);
    }
  }
  if (!Number.isInteger(options.canary) || options.canary < 0) throw new SlipwayError('SLW_VALIDATION', `--canary ${options.canary} is not a number of sites`);
  const budget = parseCount(options.failureBudget, picked.length, '--failure-budget');
  if (budget > picked.length) throw new SlipwayError('SLW_VALIDATION', `--failure-budget ${options.failureBudget} is above the ${picked.length} selected site(s)`);
  const canaries = todo.slice(0, Math.min(options.canary, todo.length));
  const rest = todo.slice(canaries.length);
  const size = parseCount(options.batch, rest.length, '--batch');
  if (size < 1 && rest.length > 0) throw new SlipwayError('SLW_VALIDATION', `--batch ${options.batch} moves no site; give at least 1`);
  const waves: Wave[] = [];
  if (canaries.length > 0) waves.push({ index: 0, kind: 'canary', sites: canaries.map((s) => s.name) });
  for (let i = 0; i < rest.length; i += size) waves.push({ index: waves.length, kind: 'batch', sites: rest.slice(i, i + size).map((s) => s.name) });
  return { to: options.to, waves, skipped, failureBudget: budget };
}

/** Whether an upgrade with `failures` failed sites halts: when they exceed what the budget tolerates. */
export function budgetExhausted(failures: number, budget: number): boolean {
  return failures > budget;
}

/** Where a herd upgrade is. `running`/`paused` hold the application (one upgrade at a time). */
export const herdStates = ['running', 'paused', 'halted', 'aborted', 'succeeded'] as const;
export type HerdState = (typeof herdStates)[number];

/**
 * Where one site of an upgrade is. The live path: pending → backup → migrate (the application's
 * release step, when its manifest has one) → deploy → bake (the health gate) → done. A failure
 * anywhere: reverting (the previous release back, then its backups restored) → reverted. A staged
 * site first goes backup → clone (a copy on the new version) → awaiting-approval; approved, it
 * takes the live path (its clone is removed at the end); rejected, the clone is removed → rejected.
 */
export const siteSteps = ['pending', 'backup', 'clone', 'awaiting-approval', 'migrate', 'deploy', 'bake', 'done', 'reverting', 'reverted', 'revert-failed', 'rejecting', 'rejected', 'skipped'] as const;
export type SiteStep = (typeof siteSteps)[number];

/** Steps a site ends in. */
export const finalSteps: ReadonlySet<SiteStep> = new Set<SiteStep>(['done', 'reverted', 'revert-failed', 'rejected', 'skipped']);
/** Steps that count as the site failing the upgrade. */
export const failedSteps: ReadonlySet<SiteStep> = new Set<SiteStep>(['reverting', 'reverted', 'revert-failed']);

/** Whether the site is being worked on (it takes one of the `--parallel` slots). */
export function inFlight(step: SiteStep): boolean {
  return !finalSteps.has(step) && step !== 'pending' && step !== 'awaiting-approval';
}

export interface TickSite {
  key: string;
  wave: number;
  position: number;
  step: SiteStep;
  /** Whether the site's own maintenance window allows starting it now. */
  windowOpen: boolean;
}

export interface TickInput {
  state: HerdState;
  sites: TickSite[];
  parallel: number;
  failures: number;
  failureBudget: number;
  /** Whether the upgrade's `--window` allows starting sites now. */
  windowOpen: boolean;
}

export interface TickDecision {
  /** Sites to start now (pending → backup), in order. */
  start: string[];
  /** The state to store (a running upgrade halts on its budget, or succeeds when every site ended). */
  state: HerdState;
  /** Why the state changed, when it did. */
  reason: string | null;
  /** The wave being worked on; null when none is left. */
  wave: number | null;
  /** Nothing is in flight and nothing will start: the upgrade no longer holds its application. */
  settled: boolean;
}

/**
 * One step of a herd upgrade's plan, pure: halts a running upgrade whose failures exceed its
 * budget, finishes one whose sites all ended, and otherwise starts the next pending sites of the
 * current wave (the lowest wave with a site not ended) up to `parallel` in flight, inside the
 * window. A wave starts only when the one before it has ended, so a canary proves itself first.
 */
export function tick(input: TickInput): TickDecision {
  const busy = input.sites.filter((s) => inFlight(s.step)).length;
  const open = input.sites.filter((s) => !finalSteps.has(s.step));
  const wave = open.length === 0 ? null : Math.min(...open.map((s) => s.wave));
  let state = input.state;
  let reason: string | null = null;
  if (state === 'running' && budgetExhausted(input.failures, input.failureBudget)) {
    state = 'halted';
    reason = `${input.failures} site(s) failed, over the failure budget of ${input.failureBudget}; the sites not started stay on their version`;
  } else if (state === 'running' && wave === null) {
    state = 'succeeded';
  }
  const start: string[] = [];
  if (state === 'running' && wave !== null && input.windowOpen) {
    const room = Math.max(0, input.parallel - busy);
    for (const s of input.sites.filter((x) => x.wave === wave && x.step === 'pending' && x.windowOpen).sort((a, b) => a.position - b.position)) {
      if (start.length >= room) break;
      start.push(s.key);
    }
  }
  const waiting = input.sites.some((s) => s.step === 'awaiting-approval');
  const settled = state === 'succeeded' || ((state === 'halted' || state === 'aborted') && busy === 0 && !waiting);
  return { start, state, reason, wave, settled };
}
