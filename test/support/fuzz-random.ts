/**
 * A small seeded generator for the fuzz tests (no fast-check in the dependencies): a
 * deterministic PRNG (mulberry32) and builders of hostile values — strings with NUL, control
 * characters, unicode, path traversal and huge lengths; numbers beyond 32 and 53 bits; wrong
 * types and nested junk. The same seed gives the same values, so a failure replays exactly.
 *
 * SLIPWAY_FUZZ_SEED picks the seed (default {@link defaultFuzzSeed}); SLIPWAY_FUZZ_RUNS scales
 * the number of cases per route.
 */

/** The seed used when SLIPWAY_FUZZ_SEED is not set: fixed, so CI runs the same cases each time. */
export const defaultFuzzSeed = 20_261_206;

/** The seed and runs-per-route of this run, from the environment or the defaults. */
export function fuzzSettings(defaultRuns: number): { seed: number; runs: number } {
  const seed = Number(process.env.SLIPWAY_FUZZ_SEED ?? defaultFuzzSeed);
  const runs = Number(process.env.SLIPWAY_FUZZ_RUNS ?? defaultRuns);
  if (!Number.isSafeInteger(seed)) throw new Error(`SLIPWAY_FUZZ_SEED must be an integer, got ${process.env.SLIPWAY_FUZZ_SEED}`);
  if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`SLIPWAY_FUZZ_RUNS must be a positive integer, got ${process.env.SLIPWAY_FUZZ_RUNS}`);
  return { seed, runs };
}

/** A deterministic random source. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A new independent source derived from this one and `label` (stable under reordering). */
  fork(label: string): Rng;
}

/** mulberry32: 32 bits of state, good enough spread for test inputs, trivially reproducible. */
export function rng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const self: Rng = {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
    fork: (label) => rng((seed ^ hash32(label)) >>> 0),
  };
  return self;
}

/** FNV-1a over a string: turns route names into seed offsets. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Strings that have broken servers: NUL, controls, traversal, injection, odd unicode, sizes. */
export const hostileStrings: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'prod\u0000',
  '\u0001\u0002\u001f\u007f',
  '\u001b[31mred',
  'a\r\nX-Injected: 1',
  '\t',
  '..',
  '.',
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  '%2e%2e',
  '/',
  '\\..\\windows',
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '"; SELECT pg_sleep(1); --',
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/x}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  '1e400',
  'NaN',
  'Infinity',
  '0x7fffffff',
  '2147483648',
  '9007199254740993',
  '日本語',
  'ünïcode',
  '😀',
  '\u202etxt.exe',
  '\ufeffbom',
  '\ud800',
  'A'.repeat(63),
  'a'.repeat(64),
  'a'.repeat(256),
  'x'.repeat(4_096),
  'sha256:',
  `sha256:${'a'.repeat(64)}`,
  `sha256:${'A'.repeat(64)}`,
  `sha256:${'z'.repeat(64)}`,
  `sha512:${'a'.repeat(128)}`,
  `sha256:${'a'.repeat(63)}`,
  'admin@slipway.local',
  'not-an-email@',
  'UPPER',
  'dev',
  'prod',
  'latest',
  '1.0.0',
  '-',
  'a--b',
  'web shop',
];

/** Numbers at the edges: zero, negatives, 32-bit and 53-bit limits, fractions, huge. */
export const hostileNumbers: readonly number[] = [0, -1, 1, 2, 1.5, -0.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1e21, 1e308, -1e308, 65_536, 10_001];

/** Number-like strings for query values and path segments. */
export const hostileNumberStrings: readonly string[] = ['0', '-1', '1.5', '2147483648', '4294967296', '9007199254740991', '9007199254740993', '1e400', 'NaN', 'Infinity', '-Infinity', '0x10', ' 1', '1 ', '', '1,2', '١'];

/** A hostile string (sometimes a generated one: random code points of a random length). */
export function hostileString(r: Rng): string {
  if (r.chance(0.8)) return r.pick(hostileStrings);
  const length = r.pick([1, 2, 8, 63, 64, 255, 256, 1_000]);
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCodePoint(r.pick([r.int(0x20), 0x20 + r.int(0x5f), 0xa0 + r.int(0x500), 0x1f600 + r.int(0x40)]));
  return out;
}

/** A value of any JSON type, including the ones a schema does not expect. */
export function junkValue(r: Rng, depth = 0): unknown {
  const kind = r.int(depth > 2 ? 6 : 9);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick(hostileNumbers);
    case 3:
    case 4:
      return hostileString(r);
    case 5:
      return r.pick(hostileNumberStrings);
    case 6:
      return Array.from({ length: r.int(4) }, () => junkValue(r, depth + 1));
    case 7:
      return Object.fromEntries(Array.from({ length: 1 + r.int(3) }, () => [r.pick(['__proto__', 'constructor', 'a', 'name', hostileString(r)]), junkValue(r, depth + 1)]));
    default:
      return { nested: [[{ deeper: junkValue(r, depth + 2) }]] };
  }
}

/**
 * Percent-encodes a path segment like encodeURIComponent, but a lone surrogate (which that
 * refuses) becomes its WTF-8 bytes: a path that is not valid UTF-8 is one more hostile input.
 */
export function encodeSegment(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xd800 && c <= 0xdfff) out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    else out += encodeURIComponent(ch);
  }
  return out;
}
