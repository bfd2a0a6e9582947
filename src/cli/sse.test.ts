/**
 * The CLI's change waiter against a real HTTP server sending a change stream: a wanted change
 * ends a pause at once, an unwanted one does not, and a `resync` (the server may have missed
 * changes of other control planes) does, whatever the waiter wants.
 */
import { createServer, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from './client.js';
import { changeWaiter } from './sse.js';

let stream: ServerResponse | undefined;
let opened: () => void = () => undefined;
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write('retry: 1000\n\n');
  stream = res;
  opened();
});
let url = '';

beforeAll(async () => {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  stream?.destroy();
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
});

const send = (change: object) => stream!.write(`event: change\ndata: ${JSON.stringify(change)}\n\n`);

/** How long `next(ms)` took to resolve after `act`. */
async function pause(waiter: { next(ms: number): Promise<void> }, act: () => void): Promise<number> {
  const start = Date.now();
  const p = waiter.next(3_000);
  setTimeout(act, 50);
  await p;
  return Date.now() - start;
}

describe('the change waiter', () => {
  it('wakes on a wanted change and on a resync, not on another change', async () => {
    const ready = new Promise<void>((resolve) => (opened = resolve));
    const client = createClient({ server: url, token: 't' });
    const waiter = await changeWaiter(client, '/events', (c) => c.kind === 'service' && c.name === 'cache');
    await ready;
    try {
      expect(waiter.live()).toBe(true);
      expect(await pause(waiter, () => send({ kind: 'service', name: 'cache', change: 'health', status: 'ready', at: 'x' }))).toBeLessThan(1_000);
      expect(await pause(waiter, () => send({ kind: 'resync', at: 'x' }))).toBeLessThan(1_000);
      const start = Date.now();
      const p = waiter.next(1_200);
      setTimeout(() => send({ kind: 'service', name: 'other', change: 'created', at: 'x' }), 50);
      await p;
      expect(Date.now() - start).toBeGreaterThanOrEqual(1_100);
    } finally {
      waiter.close();
      client.close();
    }
  });
});
