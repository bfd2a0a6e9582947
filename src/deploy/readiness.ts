/**
 * Readiness of a new replica: an HTTP path answering 2xx/3xx, a TCP connect, or the image's
 * HEALTHCHECK reporting healthy, within the environment's timeout. A replica that exits is not
 * going to become ready: that ends the wait at once.
 *
 * @module
 */
import { connect } from 'node:net';
import type { HealthType } from '../core/deploy.js';
import type { Replica } from './target.js';

export interface ReadinessCheck {
  type: HealthType;
  path: string;
  timeoutSeconds: number;
}

/** Why a replica did not become ready, or null when it did. */
export async function waitReady(check: ReadinessCheck, inspect: () => Promise<Replica | null>, signal: AbortSignal): Promise<string | null> {
  const until = Date.now() + check.timeoutSeconds * 1000;
  let last = 'no answer yet';
  while (Date.now() < until) {
    if (signal.aborted) return 'interrupted';
    const replica = await inspect();
    if (!replica) return 'the container is gone';
    if (!replica.running) return `the container exited${replica.exitCode === null ? '' : ` with code ${replica.exitCode}`}`;
    if (check.type === 'image') {
      if (replica.health === 'healthy') return null;
      if (replica.health === 'unhealthy') return 'its HEALTHCHECK reports unhealthy';
      last = `HEALTHCHECK ${replica.health ?? 'not reporting'}`;
    } else if (replica.address) {
      const result = check.type === 'http' ? await probeHttp(replica.address, check.path) : await probeTcp(replica.address);
      if (result === null) return null;
      last = result;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return `not ready within ${check.timeoutSeconds}s (${last})`;
}

async function probeHttp(address: string, path: string): Promise<string | null> {
  try {
    const res = await fetch(`http://${address}${path}`, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
    await res.arrayBuffer();
    return res.status >= 200 && res.status < 400 ? null : `GET ${path} answered ${res.status}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return `GET ${path} failed${cause ? ` (${cause})` : ''}`;
  }
}

function probeTcp(address: string): Promise<string | null> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(`TCP connect failed (${e.code ?? e.message})`));
    socket.once('timeout', () => {
      socket.destroy();
      resolve('TCP connect timed out');
    });
  });
}
