/**
 * The zero-downtime claim, measured on the real Caddy: under steady keep-alive load, a rolling
 * switch of a route from upstream A to B (first [A, B], then [B], then A closes) loses no request,
 * and a request in flight while the route changes still gets its answer.
 *
 * The load client resends a GET that died on a reused keep-alive connection before any answer,
 * as browsers, curl and Go do (see test-support/load.ts); such resends are printed, not hidden.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaddySupervisor } from './caddy-supervisor.js';
import { freePort, proxyGet, startUpstream, type Upstream } from './test-support/http.js';
import { runLoad } from './test-support/load.js';

const HOST = 'web.test.localhost';

describe('route switch under load', () => {
  let supervisor: CaddySupervisor;
  let proxy: string;
  let a: Upstream;
  let b: Upstream;
  const logs: string[] = [];

  beforeAll(async () => {
    proxy = `127.0.0.1:${await freePort()}`;
    supervisor = new CaddySupervisor({ adminListen: `127.0.0.1:${await freePort()}`, proxyListen: proxy, adopt: false, onLog: (line) => logs.push(line) });
    await supervisor.start();
    [a, b] = await Promise.all([startUpstream('A'), startUpstream('B')]);
  });

  afterAll(async () => {
    await supervisor?.stop();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('moves traffic from A to B without a failed request', async () => {
    await supervisor.admin.setRoute('web', [HOST], [a.address]);
    expect(await proxyGet(proxy, HOST)).toEqual({ status: 200, body: 'A' });

    const marks: Record<string, number> = {};
    const began = performance.now();
    const load = runLoad({ proxy, host: HOST, ratePerSecond: 150, durationMs: 3_000, maxConcurrent: 20 });
    await new Promise((resolve) => setTimeout(resolve, 800));
    marks.addB = performance.now() - began;
    await supervisor.admin.setRoute('web', [HOST], [a.address, b.address]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    marks.removeA = performance.now() - began;
    await supervisor.admin.setRoute('web', [HOST], [b.address]);
    marks.onlyB = performance.now() - began;
    await a.close();
    marks.aClosed = performance.now() - began;
    const samples = await load;

    const failed = samples.filter((s) => s.status !== 200);
    const resent = samples.filter((s) => s.resent).length;
    const tail = samples.filter((s) => s.startedAt > marks.onlyB!);
    const counts = (list: typeof samples) => ({ A: list.filter((s) => s.body === 'A').length, B: list.filter((s) => s.body === 'B').length });
    console.log(JSON.stringify({ marks, requests: samples.length, failed: failed.length, resent, all: counts(samples), tail: { requests: tail.length, ...counts(tail) } }));
    if (failed.length > 0) console.log(JSON.stringify(failed.slice(0, 10)));

    expect(samples.length).toBe(450);
    expect(failed).toEqual([]);
    expect(counts(samples).A).toBeGreaterThan(0);
    expect(tail.length).toBeGreaterThan(150);
    expect(tail.every((s) => s.body === 'B')).toBe(true);
  });

  it('lets a request in flight finish on the old upstream while the route moves away from it', async () => {
    const slow = await startUpstream('slow', 1_000);
    try {
      await supervisor.admin.setRoute('slow', ['slow.test.localhost'], [slow.address]);
      const inFlight = proxyGet(proxy, 'slow.test.localhost').catch((e: Error) => ({ status: -1, body: `inflight ${e.message}` }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await supervisor.admin.setRoute('slow', ['slow.test.localhost'], [b.address]);
      expect(await proxyGet(proxy, 'slow.test.localhost').catch((e: Error) => ({ status: -1, body: `after ${e.message}` }))).toEqual({ status: 200, body: 'B' });
      const r = await inFlight;
      if (r.status !== 200) console.log(logs.filter((l) => !l.includes('"info"')).slice(-20).join('\n'));
      expect(r).toEqual({ status: 200, body: 'slow' });
    } finally {
      await supervisor.admin.removeRoute('slow');
      await slow.close();
    }
  });
});
