/**
 * The zero-downtime claim, measured on the real Caddy: under steady load, a rolling switch of a
 * route from upstream A to B (first [A, B], then [B], then 1 s of drain, then A closes) loses no
 * request, and a request in flight while its route changes still gets its answer.
 *
 * The load client resends a GET that died on a reused keep-alive connection before any answer,
 * as browsers, curl and Go do (see test-support/load.ts); resends are printed, not hidden.
 *
 * Caddy 2.6 on Linux opens a new SO_REUSEPORT socket on every config change and closes the old
 * one; connections still in the old socket's accept queue are reset unless the kernel migrates
 * them (`net.ipv4.tcp_migrate_req = 1`). Measured here: 11 resets in 120 reloads at 300 new
 * connections/s with 0, none with 1. So the strict test runs in a private network namespace with
 * that sysctl set (needs root); in this namespace, fresh-connection resets are the only failure
 * tolerated, and only when the sysctl is off.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaddySupervisor } from './caddy-supervisor.js';
import { freePort, proxyGet, startUpstream, type Upstream } from './test-support/http.js';
import { tcpMigrateReq } from './kernel.js';
import { runSwitchScenario, type SwitchOptions, type SwitchReport } from './test-support/switch-scenario.js';

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up']).status === 0;
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const scenarioScript = fileURLToPath(new URL('./test-support/switch-scenario.ts', import.meta.url));

/** Runs the scenario in a fresh network namespace with `tcp_migrate_req = 1`. */
function runIsolated(options: SwitchOptions): Promise<SwitchReport> {
  const script = 'ip link set lo up && sysctl -qw net.ipv4.tcp_migrate_req=1 && exec "$0" --import tsx "$1" "$2"';
  const child = spawn('unshare', ['-n', 'sh', '-c', script, process.execPath, scenarioScript, JSON.stringify(options)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as SwitchReport);
      else reject(new Error(`scenario exited ${code}: ${err.slice(-2000)}`));
    });
  });
}

function summary(report: SwitchReport): string {
  const { failed, ...rest } = report;
  return JSON.stringify({ ...rest, failed: failed.length, failures: failed.slice(0, 5) });
}

function expectSwitched(report: SwitchReport): void {
  expect(report.requests).toBe(450);
  expect(report.all.A).toBeGreaterThan(0);
  expect(report.tail.requests).toBeGreaterThan(150);
  expect(report.tail.B).toBe(report.tail.requests);
}

describe('route switch under load', () => {
  it('moves keep-alive traffic from A to B without a failed request', async () => {
    const report = await runSwitchScenario({ keepAlive: true });
    console.log(summary(report));
    expectSwitched(report);
    if (tcpMigrateReq() === '1') {
      expect(report.failed).toEqual([]);
    } else {
      // The only failure Caddy 2.6 can cause here without the sysctl: a brand-new connection reset
      // in the accept queue of the socket a reload closed.
      for (const failure of report.failed) expect(failure).toMatchObject({ reusedSocket: false, error: expect.stringMatching(/ECONNRESET/) });
      expect(report.failed.length).toBeLessThanOrEqual(3);
      if (report.failed.length > 0) console.warn('set net.ipv4.tcp_migrate_req=1: Caddy reloads reset queued connections without it');
    }
  });

  it.skipIf(!canUnshare)('loses nothing with tcp_migrate_req=1, with keep-alive and with a connection per request', async () => {
    const [kept, fresh] = await Promise.all([runIsolated({ keepAlive: true }), runIsolated({ keepAlive: false })]);
    console.log(summary(kept));
    console.log(summary(fresh));
    for (const report of [kept, fresh]) {
      expect(report.tcpMigrateReq).toBe('1');
      expectSwitched(report);
      expect(report.failed).toEqual([]);
    }
  });
});

describe('route change with a request in flight', () => {
  let supervisor: CaddySupervisor;
  let proxy: string;
  let slow: Upstream;
  let b: Upstream;

  beforeAll(async () => {
    proxy = `127.0.0.1:${await freePort()}`;
    supervisor = new CaddySupervisor({ proxyListen: proxy, adopt: false });
    await supervisor.start();
    [slow, b] = await Promise.all([startUpstream('slow', 1_000), startUpstream('B')]);
  });

  afterAll(async () => {
    await supervisor?.stop();
    await Promise.all([slow?.close(), b?.close()]);
  });

  it('lets the request finish on the old upstream while new requests go to the new one', async () => {
    await supervisor.admin.setRoute('web', ['web.test.localhost'], [slow.address]);
    const inFlight = proxyGet(proxy, 'web.test.localhost');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await supervisor.admin.setRoute('web', ['web.test.localhost'], [b.address]);
    expect(await proxyGet(proxy, 'web.test.localhost')).toEqual({ status: 200, body: 'B' });
    expect(await inFlight).toEqual({ status: 200, body: 'slow' });
  });
});
