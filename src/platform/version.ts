/**
 * Slipway's own version, read from package.json once.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The package version, e.g. `0.1.0`. */
export function slipwayVersion(): string {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  cached = pkg.version ?? '0.0.0';
  return cached;
}
