/**
 * The placements an instance knows: each target by name, with the edge in front of it. Today the
 * local Docker engine behind the server's Caddy (`local`); servers joined by agents add theirs.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import type { Placement, Placements } from './target.js';

/** Placements from a fixed map; `missing` says why a name has none (e.g. no edge proxy configured). */
export function staticPlacements(known: Record<string, Placement>, missing?: (name: string) => string | undefined): Placements {
  const names = () => Object.keys(known).sort();
  return {
    names,
    resolve(name) {
      const placement = Object.hasOwn(known, name) ? known[name] : undefined;
      if (placement) return placement;
      const why = missing?.(name);
      if (why) throw new SlipwayError('SLW_PROXY_UNAVAILABLE', why);
      throw new SlipwayError('SLW_TARGET_UNKNOWN', `there is no target '${name}' on this server (targets: ${names().join(', ') || 'none'}); place the environment with 'slipway env set --target NAME'`);
    },
  };
}
