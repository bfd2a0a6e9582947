/**
 * Config overlays: a project base layer plus one layer per environment. The environment layer
 * wins; the resolved view names the layer each value comes from.
 *
 * @module
 */
import { SlipwayError } from './errors.js';

/** Which layer a value comes from. */
export type LayerName = 'base' | 'environment';

/** One resolved config value. */
export interface ResolvedEntry {
  key: string;
  value: string;
  layer: LayerName;
}

/** A layer's contents. */
export type Layer = Readonly<Record<string, string>>;

const keyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Longest config key and value accepted. */
export const configLimits = { keyLength: 255, valueBytes: 64 * 1024, keysPerLayer: 1000 } as const;

/** Largest secret value accepted. */
export const maxSecretBytes = 64 * 1024;

/**
 * Returns `key` when it can be an environment variable name (letters, digits, underscores, not
 * starting with a digit), else throws `SLW_INVALID_KEY`.
 */
/** Keys that name JavaScript object internals; refused so no layer can lose them silently. */
const reservedKeys = new Set(['__proto__', 'constructor', 'prototype']);

export function assertKey(kind: 'config' | 'secret' | 'env', key: string): string {
  if (keyPattern.test(key) && key.length <= configLimits.keyLength && !reservedKeys.has(key)) return key;
  const shown = JSON.stringify(key.length > 70 ? `${key.slice(0, 64)}…` : key);
  throw new SlipwayError('SLW_INVALID_KEY', `${kind} key ${shown} is invalid: use letters, digits and underscores, not starting with a digit, at most ${configLimits.keyLength} characters, not __proto__/constructor/prototype (e.g. LOG_LEVEL)`);
}

/** C0 control characters other than tab, line feed and carriage return (NUL included). */
const forbiddenControl = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/**
 * Returns `value` when it can be passed in a container's environment, else throws
 * `SLW_INVALID_VALUE`: a NUL ends a C string (the engine would cut the value or refuse the
 * container), and the other C0 controls but tab, newline and carriage return are refused with it.
 */
export function assertValue(kind: 'config' | 'secret' | 'env', key: string | undefined, value: string): string {
  const m = forbiddenControl.exec(value);
  if (!m) return value;
  const code = m[0].charCodeAt(0).toString(16).padStart(2, '0').toUpperCase();
  const what = code === '00' ? 'a NUL character (U+0000)' : `the control character U+00${code}`;
  throw new SlipwayError('SLW_INVALID_VALUE', `${kind} value${key === undefined ? '' : ` of ${key}`} holds ${what} at position ${m.index}: values may hold any text but NUL and control characters other than tab, newline and carriage return; remove it (e.g. base64-encode binary data)`);
}

/** Resolves the two layers into a sorted list of values, each with its layer. */
export function resolveConfig(base: Layer, environment: Layer): ResolvedEntry[] {
  const out = new Map<string, ResolvedEntry>();
  for (const [key, value] of Object.entries(base)) out.set(key, { key, value, layer: 'base' });
  for (const [key, value] of Object.entries(environment)) out.set(key, { key, value, layer: 'environment' });
  return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A requested change to one layer. */
export interface LayerChange {
  set: Readonly<Record<string, string>>;
  unset: readonly string[];
}

/**
 * Applies a change to a layer, validating keys and sizes. Returns the new layer and whether it
 * differs from the old one (an unchanged layer produces no new config version).
 */
export function applyLayerChange(layer: Layer, change: LayerChange): { layer: Record<string, string>; changed: boolean } {
  const next: Record<string, string> = { ...layer };
  for (const key of change.unset) {
    assertKey('config', key);
    delete next[key];
  }
  for (const [key, value] of Object.entries(change.set)) {
    assertKey('config', key);
    assertValue('config', key, value);
    if (new TextEncoder().encode(value).length > configLimits.valueBytes) {
      throw new SlipwayError('SLW_VALIDATION', `config value of ${key} is larger than ${configLimits.valueBytes} bytes; keep large files out of config`);
    }
    next[key] = value;
  }
  if (Object.keys(next).length > configLimits.keysPerLayer) {
    throw new SlipwayError('SLW_VALIDATION', `a config layer holds at most ${configLimits.keysPerLayer} keys`);
  }
  return { layer: sortKeys(next), changed: !sameLayer(layer, next) };
}

function sortKeys(layer: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(layer).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sameLayer(a: Layer, b: Layer): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && b[k] === a[k]);
}

/**
 * Parses `KEY=VALUE` command-line arguments. The value is everything after the first `=`
 * (it may itself contain `=`).
 */
export function parseAssignments(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new SlipwayError('SLW_USAGE', `'${arg.length > 40 ? `${arg.slice(0, 40)}…` : arg}' is not KEY=VALUE`);
    const key = assertKey('config', arg.slice(0, eq));
    out[key] = arg.slice(eq + 1);
  }
  return out;
}
