/**
 * Units as typed in the panel, turned into the numbers the API takes, the way `slipway env set`
 * turns its flags (src/core/deploy.ts parseMemory and parseCpus, src/core/gates.ts for the health
 * gate): text that is no such value is refused here with the CLI's code and message, since the
 * API never sees the text; a value of the right form but out of range goes to the API, which
 * refuses it with its own. Pure.
 */

/** A refusal made in the browser, with the code the CLI gives for the same text. */
export interface LocalRefusal {
  code: string;
  message: string;
}

export type Parsed<T> = { value: T } | { error: LocalRefusal };

/** `512m`, `1g`, `256Mi`, `1.5g`, or bytes → bytes. */
export function parseSize(text: string): Parsed<number> {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(text.trim());
  if (!m) return { error: { code: 'SLW_VALIDATION', message: `memory '${text}' is not a size like 512m or 1g` } };
  const unit = (m[2] ?? 'b').toLowerCase().replace(/i?b$/, '').replace(/i$/, '');
  const factor = ({ '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[unit] ?? 1;
  return { value: Math.round(Number(m[1]) * factor) };
}

/** `0.5`, `2` → Docker's NanoCpus. */
export function parseCpus(text: string): Parsed<number> {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) return { error: { code: 'SLW_VALIDATION', message: `cpus '${text}' is not a positive number like 0.5 or 2` } };
  return { value: Math.round(n * 1e9) };
}

/** The word that lifts a limit, as `env set --memory unlimited` and `--cpus unlimited` take it (and `env show` prints). */
export const UNLIMITED = 'unlimited';

/** A limit as `env set` reads it: `unlimited` (null: no limit), else what `parse` reads; a refusal says the word too, as the CLI's. */
export function limitOrUnlimited(text: string, parse: (text: string) => Parsed<number>): Parsed<number | null> {
  if (text.trim().toLowerCase() === UNLIMITED) return { value: null };
  const parsed = parse(text);
  return 'error' in parsed ? { error: { ...parsed.error, message: `${parsed.error.message}; or give ${UNLIMITED} to remove the limit` } } : parsed;
}

/** A health gate's bake: `30`, `30s`, `2m` → seconds. */
export function parseBake(text: string): Parsed<number> {
  const m = /^(\d+)(s|m)?$/.exec(text.trim());
  if (!m) return { error: { code: 'SLW_INVALID_GATE', message: `health gate bake '${text}' is not a duration: give seconds like 30 or 30s, or minutes like 2m` } };
  return { value: Number(m[1]) * (m[2] === 'm' ? 60 : 1) };
}

/** A garbage collection's grace period as `registry gc --grace` takes it: `90s`, `15m`, `1h`, `2d` or seconds → seconds. */
export function parseGrace(text: string): Parsed<number> {
  const m = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!m) return { error: { code: 'SLW_USAGE', message: `grace '${text}' is not a duration like 90s, 15m, 1h or 2d` } };
  return { value: Number(m[1]) * ({ s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2] ?? 's']! };
}

/** A health gate's largest error rate: `5%` or `0.05` → 0.05. */
export function parseRate(text: string): Parsed<number> {
  const m = /^(\d+(?:\.\d+)?)(%)?$/.exec(text.trim());
  if (!m) return { error: { code: 'SLW_INVALID_GATE', message: `max-error-rate '${text}' is not a rate: give a percentage like 5% (or a fraction like 0.05)` } };
  return { value: m[2] ? Number(m[1]) / 100 : Number(m[1]) };
}

/** 0.05 → `5%`, 0.005 → `0.5%`. */
export function percent(rate: number): string {
  const p = Math.round(rate * 100_000) / 1000;
  return `${p}%`;
}

/** NanoCpus → `0.5`. */
export const cpusText = (nanoCpus: number): string => String(nanoCpus / 1e9);
