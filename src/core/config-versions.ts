/**
 * How config versions are stored, pure: a layer's history is a chain of rows, each either a
 * full copy of the layer (`full`) or only what changed since the previous version (`delta`:
 * the added and changed keys with their values, and the removed keys). A full copy starts a new
 * chain when the chain would otherwise cost more to replay than a copy: the deltas since the
 * last full copy outgrow that copy (or a floor, for small layers), or there are too many of them.
 *
 * Cost: a change stores its delta plus, amortised, at most about one delta's worth of full
 * copies, so storage grows with what is sent, not with the layer's size. Reading any version
 * replays at most {@link chainLimits}.maxDeltas rows of at most the layer's size in all.
 *
 * @module
 */
import type { Layer } from './config.js';

/** A row's kind. */
export type StoredKind = 'full' | 'delta';

/** What a version changed in its layer, by key (the history shows this). */
export interface LayerDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

/** When a new full copy starts a chain. */
export const chainLimits = { maxDeltas: 100, minChainBytes: 16 * 1024 } as const;

/** The chain a new version would extend: its full copy's size and the deltas after it. */
export interface ChainState {
  fullBytes: number;
  deltas: number;
  deltaBytes: number;
}

/** The keys a change added, changed and removed (each sorted). */
export function diffLayers(before: Layer, after: Layer): LayerDiff {
  const has = (l: Layer, k: string) => Object.prototype.hasOwnProperty.call(l, k);
  const sorted = (keys: string[]) => keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    added: sorted(Object.keys(after).filter((k) => !has(before, k))),
    changed: sorted(Object.keys(after).filter((k) => has(before, k) && before[k] !== after[k])),
    removed: sorted(Object.keys(before).filter((k) => !has(after, k))),
  };
}

/** The stored data of a delta: the added and changed keys with their new values. */
export function deltaData(after: Layer, diff: LayerDiff): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...diff.added, ...diff.changed].sort()) out[k] = after[k] ?? '';
  return out;
}

/** Replays one delta onto a layer. */
export function applyDelta(layer: Layer, data: Layer, removed: readonly string[]): Record<string, string> {
  const next: Record<string, string> = { ...layer };
  for (const k of removed) delete next[k];
  for (const [k, v] of Object.entries(data)) next[k] = v;
  return Object.fromEntries(Object.entries(next).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Whether the next version is stored as a full copy (`chain` null: the layer's first version). */
export function nextKind(chain: ChainState | null, deltaBytes: number): StoredKind {
  if (!chain) return 'full';
  if (chain.deltas + 1 > chainLimits.maxDeltas) return 'full';
  if (chain.deltaBytes + deltaBytes > Math.max(chain.fullBytes, chainLimits.minChainBytes)) return 'full';
  return 'delta';
}

/** Bytes of a stored JSON text (UTF-8). */
export function storedBytes(text: string): number {
  return new TextEncoder().encode(text).length;
}
