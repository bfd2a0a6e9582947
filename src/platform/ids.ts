/**
 * Identifiers: a short type prefix, 12 hex digits of milliseconds (so ids sort by creation time)
 * and 16 hex digits of randomness, e.g. `prj_0192f3a4b5c6_9f1e2d3c4b5a6978`.
 *
 * Within one process ids are strictly increasing: an id made in the same millisecond as the
 * previous one (or while the clock steps back) reuses that millisecond and adds one to the
 * previous random part, so "newest first" by id (audit log, tokens) keeps the creation order.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';

/** Known id prefixes, one per kind of object. */
export type IdPrefix = 'usr' | 'ws' | 'tok' | 'prj' | 'env' | 'cfg' | 'sec' | 'rel' | 'aud' | 'repo' | 'upl' | 'cred' | 'bld' | 'dep' | 'pro' | 'svc' | 'att' | 'scr' | 'sbk' | 'sup' | 'srv' | 'jtk' | 'app' | 'gbd' | 'dlv' | 'run' | 'hg' | 'hup' | 'ntf' | 'psc' | 'vbk' | 'vbs';

const randomLimit = 1n << 64n;
let lastMs = -1;
let lastRandom = 0n;

/** A new, time-ordered id with the given prefix. */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    lastRandom = randomBytes(8).readBigUInt64BE();
  } else if (lastRandom + 1n < randomLimit) {
    lastRandom += 1n;
  } else {
    lastMs += 1;
    lastRandom = randomBytes(8).readBigUInt64BE();
  }
  return `${prefix}_${lastMs.toString(16).padStart(12, '0')}_${lastRandom.toString(16).padStart(16, '0')}`;
}
