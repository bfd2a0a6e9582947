/**
 * Cron expressions, pure: the five fields of a crontab line (minute hour day-of-month month
 * day-of-week), read in UTC. A site's maintenance window is one: an automatic upgrade may start
 * the site in the minutes it matches.
 *
 * Each field is `*` or a comma-separated list of `N`, `A-B`, with an optional step (`*∕15`,
 * `0-30/10`, `5/15` = from 5 to the end every 15). Months may be written `jan`–`dec`, days of
 * the week `sun`–`sat` (0 and 7 are both Sunday). As in Vixie cron, when both day-of-month and
 * day-of-week are restricted (neither starts with `*`), a day matches if either does.
 *
 * Schedules (scheduled backups, pipeline schedules) store their next slot and decide on it with
 * {@link decideSlot}: one catch-up for the latest slot missed by less than {@link catchUpMs}.
 *
 * @module
 */
import { SlipwayError } from './errors.js';

export interface Cron {
  /** The expression as given. */
  text: string;
  /** Whether the minute of `date` (UTC) is in the window. */
  matches(date: Date): boolean;
  /** The first matching minute at or after `from` (rounded up to a whole minute), or null within five years. */
  next(from: Date): Date | null;
}

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const fields: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day-of-week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

const example = "e.g. '0 2 * * 0' (Sundays at 02:00 UTC) or '*/15 1-5 * * mon-fri'";

function invalid(text: string, why: string): SlipwayError {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return new SlipwayError('SLW_VALIDATION', `cron expression '${shown}': ${why}; write five fields (minute hour day-of-month month day-of-week, UTC) of numbers, ranges A-B, lists A,B, steps */N and *, ${example}`);
}

function parseValue(text: string, raw: string, f: Field): number {
  const lower = raw.toLowerCase();
  const named = f.names?.indexOf(lower) ?? -1;
  if (named >= 0) return f.min === 1 ? named + 1 : named;
  if (!/^\d{1,2}$/.test(raw)) throw invalid(text, `'${raw}' in the ${f.name} field is not a number${f.names ? ` or a name (${f.names[0]}…${f.names[f.names.length - 1]})` : ''}`);
  const n = Number(raw);
  if (n < f.min || n > f.max) throw invalid(text, `${n} is out of the ${f.name} range ${f.min}-${f.max}`);
  return n;
}

/** The set of values a field allows, and whether it was written as `*` (unrestricted). */
function parseField(text: string, raw: string, f: Field): { values: Set<number>; star: boolean } {
  const values = new Set<number>();
  for (const item of raw.split(',')) {
    if (item === '') throw invalid(text, `the ${f.name} field '${raw}' has an empty list item`);
    const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(item);
    if (!m) throw invalid(text, `'${item}' in the ${f.name} field is not N, A-B, * or one of them with /STEP`);
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) throw invalid(text, `the step of '${item}' in the ${f.name} field is 0`);
    let lo: number;
    let hi: number;
    if (m[1] === '*') {
      [lo, hi] = [f.min, f.max];
    } else if (m[1]!.includes('-')) {
      const [a, b, ...more] = m[1]!.split('-');
      if (more.length > 0 || a === undefined || b === undefined) throw invalid(text, `'${item}' in the ${f.name} field is not a range A-B`);
      [lo, hi] = [parseValue(text, a, f), parseValue(text, b, f)];
      if (lo > hi) throw invalid(text, `the range ${m[1]} in the ${f.name} field goes backwards`);
    } else {
      lo = parseValue(text, m[1]!, f);
      // `5/15`: from 5 to the end of the range, every 15; a plain `5`: just 5.
      hi = m[2] === undefined ? lo : f.max;
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, star: raw.startsWith('*') };
}

/** Parses a five-field cron expression; throws SLW_VALIDATION saying which field is wrong. */
export function parseCron(text: string): Cron {
  if (text.length > 200) throw invalid(text, `it is ${text.length} characters long (at most 200)`);
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== 5) throw invalid(text, `it has ${parts.length} field${parts.length === 1 ? '' : 's'}, not 5`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(text, p, fields[i]!)) as [ReturnType<typeof parseField>, ReturnType<typeof parseField>, ReturnType<typeof parseField>, ReturnType<typeof parseField>, ReturnType<typeof parseField>];
  // Sunday is 0 and 7.
  if (dow.values.has(7)) dow.values.add(0);
  const dayMatches = (d: Date): boolean => {
    const byDom = dom.values.has(d.getUTCDate());
    const byDow = dow.values.has(d.getUTCDay());
    if (!dom.star && !dow.star) return byDom || byDow;
    return byDom && byDow;
  };
  const matches = (d: Date): boolean => minute.values.has(d.getUTCMinutes()) && hour.values.has(d.getUTCHours()) && month.values.has(d.getUTCMonth() + 1) && dayMatches(d);
  const minutes = [...minute.values].sort((a, b) => a - b);
  const hours = [...hour.values].sort((a, b) => a - b);
  const next = (from: Date): Date | null => {
    const start = new Date(Math.ceil(from.getTime() / 60_000) * 60_000);
    const day = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
    for (let i = 0; i < 366 * 5; i += 1, day.setUTCDate(day.getUTCDate() + 1)) {
      if (!month.values.has(day.getUTCMonth() + 1) || !dayMatches(day)) continue;
      for (const h of hours) {
        for (const m of minutes) {
          const at = new Date(day.getTime() + h * 3_600_000 + m * 60_000);
          if (at >= start) return at;
        }
      }
    }
    return null;
  };
  return { text, matches, next };
}

/** How late a missed slot may still be taken (once, for the latest one); older ones are skipped. */
export const catchUpMs = 3_600_000;

const minute = 60_000;

/** The first slot of `cron` strictly after `at` (minutes are whole), or null when none within five years. */
export function slotAfter(cron: Cron, at: Date): Date | null {
  return cron.next(new Date(Math.floor(at.getTime() / minute) * minute + minute));
}

/** What a scheduler (scheduled backups, pipeline schedules) does with a schedule whose stored next slot is `nextAt`, at `now`. */
export type SlotDecision =
  /** Not yet: the slot is in the future. */
  | { kind: 'wait' }
  /** Take `slot` (the latest slot at or before now, at most {@link catchUpMs} old), then wait for `next`. */
  | { kind: 'run'; slot: Date; next: Date | null; missed: number }
  /** Every due slot is more than {@link catchUpMs} old: nothing runs, wait for `next`. */
  | { kind: 'skip'; next: Date | null };

/**
 * Decides on a stored slot at `now`. `missed` counts the earlier due slots the run stands in for
 * (0 when only one slot was due), at most the slots within the catch-up window.
 */
export function decideSlot(cron: Cron, nextAt: Date, now: Date, graceMs: number = catchUpMs): SlotDecision {
  if (nextAt.getTime() > now.getTime()) return { kind: 'wait' };
  const next = slotAfter(cron, now);
  // Only slots inside the window count; iterating from the stored slot could walk months of minutes.
  const windowStart = new Date(Math.max(nextAt.getTime(), now.getTime() - graceMs));
  let latest: Date | null = null;
  let count = 0;
  for (let at = cron.next(windowStart); at !== null && at.getTime() <= now.getTime(); at = slotAfter(cron, at)) {
    latest = at;
    count += 1;
  }
  return latest === null ? { kind: 'skip', next } : { kind: 'run', slot: latest, next, missed: count - 1 };
}
