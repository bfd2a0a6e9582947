/**
 * Deterministic JSON: object keys sorted (by UTF-16 code units) at every level, no whitespace,
 * `undefined` members dropped. The same value always gives the same bytes, so the same build
 * gives the same config and manifest digests.
 *
 * @module
 */
import { createHash } from 'node:crypto';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  // Own data properties only (Object.fromEntries): a key such as `__proto__` in a base image's
  // config is kept as a key, never taken as the object's prototype.
  const entries: [string, unknown][] = [];
  for (const key of Object.keys(value).sort()) {
    const v: unknown = Object.getOwnPropertyDescriptor(value, key)?.value;
    if (v !== undefined) entries.push([key, sortKeys(v)]);
  }
  return Object.fromEntries(entries);
}

export function canonicalJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(sortKeys(value)), 'utf8');
}

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
