/**
 * What the local target writes on each container so that it can report a workload from the
 * engine alone, after any restart of the control plane: which workload and replica it is, the
 * port it serves and how readiness is judged. Never a secret. Pure functions.
 *
 * @module
 */
import type { HealthCheck, ReplicaStatus } from '../../deploy/target.js';
import type { ContainerSummary } from './types.js';

export const WORKLOAD = 'io.slipway.workload';
export const REPLICA = 'io.slipway.replica';
export const PORT = 'io.slipway.port';
export const HEALTH = 'io.slipway.health';
export const JOB = 'io.slipway.job';
export const TIMEOUT = 'io.slipway.timeout';

/** Labels only the target uses (left out of what it reports). */
export const internalLabels = new Set([WORKLOAD, REPLICA, PORT, HEALTH, JOB, TIMEOUT]);

export function healthLabel(h: HealthCheck): string {
  return h.type === 'http' ? `http:${h.path}` : h.type;
}

export function healthOfLabel(value: string | undefined): HealthCheck {
  if (value?.startsWith('http:')) return { type: 'http', path: value.slice(5) || '/' };
  if (value === 'tcp' || value === 'image') return { type: value };
  return { type: 'none' };
}

/** The user's labels of a container (without the target's own). */
export function publicLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => !internalLabels.has(k)));
}

/** The exit code in the engine's status text (`Exited (3) 2 seconds ago`, `Restarting (1) …`). */
export function exitCodeOf(status: string): number | null {
  const m = /^(?:Exited|Restarting) \((-?\d+)\)/.exec(status);
  return m ? Number(m[1]) : null;
}

/** A container's replica state, before readiness is probed. */
export function replicaState(c: ContainerSummary): Pick<ReplicaStatus, 'state' | 'exitCode'> {
  switch (c.state) {
    case 'running':
      return { state: 'running', exitCode: null };
    case 'created':
      return { state: 'pending', exitCode: null };
    case 'removing':
      return { state: 'stopping', exitCode: null };
    case 'dead':
      return { state: 'failed', exitCode: exitCodeOf(c.status) };
    default:
      // exited, restarting (a crash loop under the restart policy), paused
      return { state: 'exited', exitCode: exitCodeOf(c.status) };
  }
}
