/**
 * The runtimes the builder knows, and parsing a runtime named by a user (`--runtime`, the build
 * API). Pure, so the API's schemas and the builder share one list.
 *
 * @module
 */
import { SlipwayError } from './errors.js';

export const runtimes = ['java', 'static', 'node'] as const;
export type Runtime = (typeof runtimes)[number];

/** Parses `--runtime`; SLW_RUNTIME_UNKNOWN for anything but java, static, node. */
export function parseRuntime(value: string): Runtime {
  const found = runtimes.find((r) => r === value);
  if (!found) throw new SlipwayError('SLW_RUNTIME_UNKNOWN', `runtime ${JSON.stringify(value)} is not one of ${runtimes.join(', ')}; pass --runtime java|static|node`);
  return found;
}
