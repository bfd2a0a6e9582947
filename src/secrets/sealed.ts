/**
 * What a master-key rotation needs to know of each module that seals values into the store:
 * where its envelopes are and which identity each was sealed under. Each such module exports
 * one {@link SealedKind} next to its identity function; the rotation (src/server/master-key-rotation.ts)
 * runs them all in one transaction.
 *
 * @module
 */
import type { Executor } from '../store/schema.js';
import type { SecretIdentity } from './envelope.js';

/**
 * Opens `envelope` (sealed under `id`) with the old key and seals its value with the new one.
 * Throws SLW_MASTER_KEY_MISMATCH naming `where` when it does not open.
 */
export type Reseal = (id: SecretIdentity, envelope: string, where: string) => string;

/** One kind of sealed value in the store. */
export interface SealedKind {
  /** What it is, for the rotation's report (e.g. `secret versions`). */
  name: string;
  /** The `table.column`s it keeps its envelopes in (a test checks every envelope column has its kind). */
  columns: string[];
  /** Re-seals every envelope of this kind inside `tx`; returns how many it re-sealed. */
  reseal(tx: Executor, reseal: Reseal): Promise<number>;
}
