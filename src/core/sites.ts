/**
 * Sites, pure: the rules of a site's labels, channel and upgrade policy, label edits as the CLI
 * writes them (`k=v` sets, `k-` removes), and the variables a site's workload gets from them.
 *
 * Label keys are what a site selector can name (core/herd.ts): lowercase, a name of letters,
 * digits, `.` and `-` (at most 63 characters in all), with an optional `prefix/` as in
 * Kubernetes (`example.com/tier`). `name`, `version`, `channel` and `policy` are the site's own
 * fields in a selector and cannot be labels. Values are 1–128 letters, digits and `. _ - +`.
 *
 * @module
 */
import { SlipwayError } from './errors.js';
import { compareSemVer, parseSemVer } from './semver.js';

export const sitePolicies = ['manual', 'continuous', 'staged'] as const;
export type SitePolicy = (typeof sitePolicies)[number];

export const maxLabels = 32;
/** Keys a selector reads from the site itself, not from its labels. */
export const reservedLabelKeys = ['name', 'version', 'channel', 'policy'] as const;

const segment = '[a-z0-9]([a-z0-9.-]*[a-z0-9])?';
const keyPattern = new RegExp(`^(${segment}/)?${segment}$`);
const valuePattern = /^[A-Za-z0-9._+-]{1,128}$/;
const channelPattern = /^[a-z][a-z0-9-]{0,39}$/;

const invalidLabel = (why: string) => new SlipwayError('SLW_INVALID_LABEL', `${why}; a label is key=value: a lowercase key of letters, digits, . and - (at most 63 characters, an optional prefix/ like example.com/tier) and a value of 1-128 letters, digits, . _ - +`);

const shown = (s: string) => JSON.stringify(s.length > 70 ? `${s.slice(0, 64)}…` : s);

export function assertLabelKey(key: string): string {
  if (key.length === 0 || key.length > 63 || !keyPattern.test(key)) throw invalidLabel(`label key ${shown(key)} is invalid`);
  if ((reservedLabelKeys as readonly string[]).includes(key)) throw invalidLabel(`'${key}' is the site's own field in a selector (${reservedLabelKeys.join(', ')}) and cannot be a label`);
  return key;
}

export function assertLabelValue(key: string, value: string): string {
  if (!valuePattern.test(value)) throw invalidLabel(`the value ${shown(value)} of label '${key}' is invalid`);
  return value;
}

/** The variable a label becomes in the site's workloads and jobs: `SLIPWAY_SITE_LABEL_` + the key upper-cased, anything not A-Z or 0-9 as `_`. */
export function labelVariable(key: string): string {
  return `SLIPWAY_SITE_LABEL_${key.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Checks a whole label set: each key and value, the count, and that no two keys become the same variable. */
export function assertLabels(labels: Record<string, string>): Record<string, string> {
  const keys = Object.keys(labels);
  if (keys.length > maxLabels) throw invalidLabel(`${keys.length} labels are too many (at most ${maxLabels})`);
  const byVariable = new Map<string, string>();
  for (const key of keys.sort()) {
    assertLabelKey(key);
    assertLabelValue(key, labels[key]!);
    const variable = labelVariable(key);
    const other = byVariable.get(variable);
    if (other !== undefined) throw invalidLabel(`labels '${other}' and '${key}' would both be ${variable} in the site's environment; keep one of them`);
    byVariable.set(variable, key);
  }
  // Stored with sorted keys, so equal sets are equal text.
  return Object.fromEntries(keys.sort().map((k) => [k, labels[k]!]));
}

/** `k=v` sets a label, `k-` removes it (as kubectl label does). */
export function parseLabelEdits(args: string[]): { set: Record<string, string>; unset: string[] } {
  const set: Record<string, string> = {};
  const unset: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq > 0) {
      const key = assertLabelKey(arg.slice(0, eq));
      set[key] = assertLabelValue(key, arg.slice(eq + 1));
    } else if (eq < 0 && arg.endsWith('-') && arg.length > 1) {
      unset.push(assertLabelKey(arg.slice(0, -1)));
    } else {
      throw invalidLabel(`--label ${shown(arg)} is neither key=value (set) nor key- (remove)`);
    }
  }
  const both = unset.find((k) => Object.hasOwn(set, k));
  if (both) throw invalidLabel(`label '${both}' is both set and removed`);
  return { set, unset };
}

/** Applies edits to a label set and checks the result. */
export function editLabels(labels: Record<string, string>, edits: { set?: Record<string, string>; unset?: string[] }): Record<string, string> {
  const out = { ...labels };
  for (const key of edits.unset ?? []) delete out[assertLabelKey(key)];
  for (const [key, value] of Object.entries(edits.set ?? {})) out[key] = value;
  return assertLabels(out);
}

export function assertChannel(channel: string): string {
  if (!channelPattern.test(channel)) {
    throw new SlipwayError('SLW_VALIDATION', `channel ${shown(channel)} is invalid: use stable, or the lowercase first pre-release word of the versions the site follows (beta for 2.0.0-beta.3, rc…)`);
  }
  return channel;
}

export function parsePolicy(policy: string): SitePolicy {
  if ((sitePolicies as readonly string[]).includes(policy)) return policy as SitePolicy;
  throw new SlipwayError('SLW_VALIDATION', `policy ${shown(policy)} is not one of ${sitePolicies.join(', ')}`);
}

/** The sites on one version: how many, and the first names of them. */
export interface VersionSites {
  /** null: the sites on no version yet (never deployed). */
  version: string | null;
  sites: number;
  /** The first `cap` names, in name order. */
  names: string[];
}

/**
 * Sites grouped by the version they run, as counts (a herd of thousands is a few rows): semantic
 * versions highest first, then other tags by name, then the sites on no version. Each group keeps
 * its first `cap` names in name order.
 */
export function sitesByVersion(sites: readonly { name: string; version: string | null }[], cap: number): VersionSites[] {
  const groups = new Map<string | null, VersionSites>();
  for (const s of [...sites].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const g = groups.get(s.version) ?? { version: s.version, sites: 0, names: [] };
    g.sites += 1;
    if (g.names.length < cap) g.names.push(s.name);
    groups.set(s.version, g);
  }
  const rank = (v: string | null) => (v === null ? 2 : parseSemVer(v) ? 0 : 1);
  return [...groups.values()].sort((a, b) => {
    const ra = rank(a.version);
    const rb = rank(b.version);
    if (ra !== rb) return ra - rb;
    if (ra === 0) return compareSemVer(parseSemVer(b.version!)!, parseSemVer(a.version!)!);
    return a.version! < b.version! ? -1 : a.version! > b.version! ? 1 : 0;
  });
}
