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

/** `5` or `25%` of `total` (a share rounds up, at least 1 when total > 0). */
export function parseCount(text: string, total: number, what: string): number {
  const m = /^(\d+)(%)?$/.exec(text.trim());
  if (!m) throw new SlipwayError('SLW_VALIDATION', `${what} '${text}' is a number of sites or a percentage like 25%`);
  const n = Number(m[1]);
  if (!m[2]) return n;
  if (n > 100) throw new SlipwayError('SLW_VALIDATION', `${what} ${text} is above 100%`);
  return total === 0 ? 0 : Math.max(n === 0 ? 0 : 1, Math.ceil((total * n) / 100));
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
