/**
 * Waiting on a provisioned service's workload: until the target reports replica 1 ready (or it
 * keeps stopping, or the time is up), until the kind's admin probe answers, until a removed
 * workload is gone; and taking one down. Create and upgrade share them.
 *
 * @module
 */
import { SlipwayError, isSlipwayError } from '../core/errors.js';
import type { AdminConnection } from '../core/services.js';
import type { Target } from '../deploy/target.js';
import { observation } from './provisioning.js';
import type { ServiceContext } from './services.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long to wait for the replica to be ready and the admin probe to succeed. */
export interface ProvisionTimeouts {
  readyMs: number;
  probeMs: number;
}

export const defaultTimeouts: ProvisionTimeouts = { readyMs: 180_000, probeMs: 60_000 };

/** Why a workload did not come up; `code` is the error the caller throws. */
export type NotReady = (why: string) => SlipwayError;

/** Waits until the gone workload's replicas are removed (a volume still mounted cannot be deleted, a name still taken cannot be reused). */
export async function waitGone(target: Target, workload: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await target.observe(workload)) !== null) {
    if (Date.now() > end) throw new SlipwayError('SLW_INTERNAL', `workload ${workload} was not removed within ${timeoutMs / 1000}s`);
    await sleep(250);
  }
}

/** Takes down what a provisioned service runs; the data volume only with `dropVolume` (a service without one has volume ''). */
export async function teardown(target: Target, names: { workload: string; volume: string; network: string }, dropVolume: boolean): Promise<void> {
  await target.remove(names.workload, 10);
  await waitGone(target, names.workload);
  if (dropVolume && names.volume !== '') await target.removeVolume(names.volume);
  await target.removeNetwork?.(names.network);
}

/** Waits until the target reports replica 1 ready; its address is where the control plane reaches it. */
export async function waitReady(target: Target, workload: string, timeoutMs: number, notReady: NotReady): Promise<{ host: string; port: number }> {
  const end = Date.now() + timeoutMs;
  let exited = 0;
  let last = 'not started';
  for (;;) {
    const seen = observation(await target.observe(workload));
    if (seen.health === 'ready' && seen.address) return seen.address;
    last = seen.message ?? seen.health;
    if (seen.health === 'failed') throw notReady(`it cannot run: ${last}`);
    // Stopped for two seconds on end (a crashing server the restart policy keeps bringing back): it will not come up by itself.
    exited = seen.health === 'stopped' ? exited + 1 : 0;
    if (exited >= 8) throw notReady(`it keeps stopping (${last}); check that the image follows the contract (docs/services.md)`);
    if (Date.now() > end) throw notReady(`it was not ready within ${Math.round(timeoutMs / 1000)}s (${last})`);
    await sleep(250);
  }
}

/** Probes with the kind's driver until it answers (a server that just opened its port may still be starting up). */
export async function probeUntil(ctx: ServiceContext, admin: AdminConnection, timeoutMs: number, notReady: NotReady): Promise<{ version: string }> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await ctx.drivers[admin.kind].probe(admin);
    } catch (error) {
      if (Date.now() > end) {
        const why = isSlipwayError(error) ? `${error.code}: ${error.message}` : String(error);
        const e = notReady(`it runs but its admin probe failed (${why})`);
        throw new SlipwayError(e.code, e.message, { cause: error });
      }
      await sleep(500);
    }
  }
}
