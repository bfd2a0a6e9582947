/**
 * The rolling-switch scenario of the zero-downtime test, runnable in-process or as a script
 * (`node --import tsx switch-scenario.ts '{"keepAlive":false}'` prints its report as JSON), so a
 * test can also run it inside a private network namespace with its own sysctls.
 *
 * Scenario: a supervised Caddy routes `web.test.localhost` to upstream A; under steady load the
 * route becomes [A, B] (new release ready), then [B] (old one out); after a drain period A closes
 * gracefully.
 *
 * The drain period matters: a request the old config accepted just before the switch may reach
 * its upstream a little later, and Caddy 2.6 does not retry requests of a config it has unloaded
 * (their retry context is cancelled). Closing A at once cost 3 requests in 16 runs (502s) on this
 * machine when it was busy; with 1 s of drain, none. Caddy lists a removed upstream in
 * /reverse_proxy/upstreams only while a drain holder names it (CaddyAdmin keeps one), and counts a
 * request only once it is being proxied, so a drain by in-flight count still needs a short floor.
 */
import { pathToFileURL } from 'node:url';
import { CaddySupervisor } from '../caddy-supervisor.js';
import { tcpMigrateReq } from '../kernel.js';
import { freePort, proxyGet, startUpstream } from './http.js';
import { runLoad, type LoadSample } from './load.js';

export const SWITCH_HOST = 'web.test.localhost';

export interface SwitchOptions {
  keepAlive?: boolean;
  ratePerSecond?: number;
  durationMs?: number;
  maxConcurrent?: number;
  /** Wait between the switch to [B] and closing A (1 s by default). */
  drainMs?: number;
}

export interface SwitchReport {
  /** ms since the load began: when [A, B] was set, when [B] was set, when A had closed (after the drain). */
  marks: { addB: number; onlyB: number; aClosed: number };
  requests: number;
  failed: LoadSample[];
  resent: number;
  all: { A: number; B: number };
  /** Requests that started after the route became [B]. */
  tail: { requests: number; A: number; B: number };
  /** `net.ipv4.tcp_migrate_req` where the scenario ran ('?' when unknown). */
  tcpMigrateReq: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runSwitchScenario(options: SwitchOptions = {}): Promise<SwitchReport> {
  const proxy = `127.0.0.1:${await freePort()}`;
  const supervisor = new CaddySupervisor({ proxyListen: proxy, adopt: false });
  await supervisor.start();
  const [a, b] = await Promise.all([startUpstream('A'), startUpstream('B')]);
  try {
    await supervisor.admin.setRoute('web', [SWITCH_HOST], [a.address]);
    const first = await proxyGet(proxy, SWITCH_HOST);
    if (first.body !== 'A') throw new Error(`expected A before the switch, got ${first.status} ${first.body}`);

    const durationMs = options.durationMs ?? 3_000;
    const began = performance.now();
    const load = runLoad({
      proxy,
      host: SWITCH_HOST,
      ratePerSecond: options.ratePerSecond ?? 150,
      durationMs,
      maxConcurrent: options.maxConcurrent ?? 20,
      keepAlive: options.keepAlive ?? true,
    });
    await sleep(durationMs * 0.27);
    const addB = performance.now() - began;
    await supervisor.admin.setRoute('web', [SWITCH_HOST], [a.address, b.address]);
    await sleep(durationMs * 0.2);
    await supervisor.admin.setRoute('web', [SWITCH_HOST], [b.address]);
    const onlyB = performance.now() - began;
    await sleep(options.drainMs ?? 1_000);
    await a.close();
    const aClosed = performance.now() - began;
    const samples = await load;

    const count = (list: LoadSample[]) => ({ A: list.filter((s) => s.body === 'A').length, B: list.filter((s) => s.body === 'B').length });
    const tail = samples.filter((s) => s.startedAt > onlyB);
    return {
      marks: { addB, onlyB, aClosed },
      requests: samples.length,
      failed: samples.filter((s) => s.status !== 200),
      resent: samples.filter((s) => s.resent).length,
      all: count(samples),
      tail: { requests: tail.length, ...count(tail) },
      tcpMigrateReq: tcpMigrateReq() ?? '?',
    };
  } finally {
    await supervisor.stop();
    await Promise.all([a.close(), b.close()]);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = JSON.parse(process.argv[2] ?? '{}') as SwitchOptions;
  process.stdout.write(`${JSON.stringify(await runSwitchScenario(options))}\n`);
}
