/**
 * A unix-socket proxy in front of the Docker engine that records every byte a client sends, so a
 * test can check what went into request lines, headers and bodies.
 *
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a client sent through the proxy. */
export interface RecordingProxy {
  socketPath: string;
  /** Everything sent, connection by connection (latin1, so bytes survive). */
  sent(): string[];
  /** Request lines (`POST /v1.41/images/create?… HTTP/1.1`). */
  requestLines(): string[];
  /** Values of header `name` across all requests. */
  headerValues(name: string): string[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target = '/var/run/docker.sock'): Promise<RecordingProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-docker-proxy-'));
  const socketPath = join(dir, 'docker.sock');
  const connections: Buffer[][] = [];
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const chunks: Buffer[] = [];
    connections.push(chunks);
    const upstream = createConnection(target);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (d: Buffer) => chunks.push(d));
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  const sent = () => connections.map((c) => Buffer.concat(c).toString('latin1'));
  return {
    socketPath,
    sent,
    requestLines: () => sent().flatMap((text) => [...text.matchAll(/^(?:GET|POST|PUT|DELETE|HEAD) \S+ HTTP\/1\.[01](?=\r?$)/gm)].map((m) => m[0])),
    headerValues: (name) => sent().flatMap((text) => [...text.matchAll(new RegExp(`^${name}: (.*)\\r$`, 'gim'))].map((m) => m[1] ?? '')),
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
