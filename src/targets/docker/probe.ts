/**
 * Readiness probes the local target runs on the engine's host, against a container's own
 * address on its network (not the published port: Docker's userland proxy accepts a connection
 * on the published port even when nothing listens inside).
 *
 * @module
 */
import { request } from 'node:http';
import { connect } from 'node:net';

/** Null when `GET path` answers 2xx or 3xx within `timeoutMs`; otherwise why not. */
export function probeHttp(host: string, port: number, path: string, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', timeout: timeoutMs, agent: false, headers: { 'user-agent': 'slipway-probe' } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? null : `GET ${path} answered ${status}`);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(`GET ${path} failed (${error.code ?? error.message})`));
    req.end();
  });
}

/** Null when a TCP connection to `host:port` opens within `timeoutMs`; otherwise why not. */
export function probeTcp(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
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
