/**
 * The data plane does not depend on the control plane: with a load generator hitting a deployed
 * environment through the proxy, the server is stopped (SIGTERM, then in another test SIGKILL),
 * stays down 10 s and starts again on the same data dir. Not one request fails, and the proxy is
 * the same Caddy process throughout: left running by the stopped server, adopted by the next one,
 * which then deploys through it. Stopping the proxy on purpose: `slipway proxy stop` and
 * `slipway server --stop-proxy`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from '../support/server-process.js';
import { deployWorld, loadGenerator, proxyPid, viaProxy, type DeployWorld } from '../support/deploy.js';

let w: DeployWorld;
const prod = () => `prod.shop.${w.ws}.localhost`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  w = await deployWorld({ workspace: 'restart' });
  expect((await w.run(['config', 'set', 'GREETING=v0', '-w', w.ws, '-p', 'shop', '-e', 'prod'])).code).toBe(0);
  const first = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--version', '1.0.0', '--skip-approval']);
  expect(first.code, first.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await w?.dispose();
  await cleanup();
});

/** Waits until the deployment has ended; returns its status. */
async function waitForEnd(deployment: string): Promise<string> {
  for (let i = 0; i < 1200; i += 1) {
    const res = await fetch(`${w.server.url}/api/v1/workspaces/${w.ws}/deployments/${deployment}`, { headers: { authorization: `Bearer ${w.server.adminToken}` } });
    const { status } = (await res.json()) as { status: string };
    if (status === 'succeeded' || status === 'failed') return status;
    await sleep(100);
  }
  throw new Error(`deployment ${deployment} did not end`);
}

/** Load on prod while `stop` ends the server, 10 s of no server, then a new server on the same data dir. */
async function downAndUp(stop: () => Promise<void>): Promise<void> {
  const caddy = await proxyPid(w.server.dataDir);
  expect(caddy).toBeDefined();
  const load = loadGenerator(w.proxyPort, prod(), 100, 5);
  await sleep(1_000);
  await stop();
  await sleep(10_000);
  expect(await proxyPid(w.server.dataDir)).toBe(caddy);
  await w.restart();
  // The new server adopted the proxy (no second Caddy) and reconciled the routes it holds.
  await w.server.waitForLogs((logs) => logs.includes('adopted the one already running'));
  await sleep(1_000);
  const result = await load.stop();
  console.log(JSON.stringify({ sent: result.sent, failed: result.failed, retried: result.retried }));
  expect(result.failures).toEqual([]);
  expect(result.failed).toBe(0);
  expect(result.sent).toBeGreaterThan(500);
  expect([...result.bodies.keys()]).toEqual(['v0 | built once\n']);
  expect(await proxyPid(w.server.dataDir)).toBe(caddy);
}

describe('the proxy outlives the server', () => {
  it('SIGTERM, 10 s down, start again: zero failed requests', async () => {
    await downAndUp(async () => {
      expect(await w.server.stop('SIGTERM')).toBe(0);
      expect(w.server.logs()).toMatch(/edge proxy left running on 127\.0\.0\.1:\d+; the next server on this data directory adopts it/);
    });
  }, 120_000);

  it('SIGKILL, 10 s down, start again: zero failed requests', async () => {
    await downAndUp(() => w.server.kill9());
  }, 120_000);

  it('the server that adopted the proxy deploys through it without a failed request', async () => {
    const load = loadGenerator(w.proxyPort, prod(), 100, 5);
    const r = await w.run(['config', 'set', 'GREETING=v1', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(await waitForEnd(r.json<{ deployment: { id: string } }>().deployment.id)).toBe('succeeded');
    await sleep(500);
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
    expect((await viaProxy(w.proxyPort, prod())).body).toBe('v1 | built once\n');
  }, 180_000);
});

describe('stopping the proxy on purpose', () => {
  it('slipway proxy stop: refused while the server runs, stops the proxy once the server is gone', async () => {
    const dataDir = w.server.dataDir;
    const refused = await w.run(['proxy', 'stop', '--data-dir', dataDir, '--json']);
    expect(refused.code).toBe(1);
    expect(refused.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'SLW_DATA_DIR_LOCKED', message: expect.stringMatching(/stop that server first/) });
    expect((await viaProxy(w.proxyPort, prod())).status).toBe(200);

    expect(await w.server.stop('SIGTERM')).toBe(0);
    expect((await viaProxy(w.proxyPort, prod())).body).toBe('v1 | built once\n');
    const stopped = await w.run(['proxy', 'stop', '--data-dir', dataDir, '--json']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.json()).toEqual({ dataDir, stopped: true });
    expect(await proxyPid(dataDir)).toBeUndefined();
    await expect(viaProxy(w.proxyPort, prod())).rejects.toThrow(/ECONNREFUSED/);
    const again = await w.run(['proxy', 'stop', '--data-dir', dataDir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/no edge proxy was running for/);
  }, 120_000);

  it('slipway server --stop-proxy: the proxy stops with the server', async () => {
    // The proxy is down (previous test): the server starts its own and restores the routes.
    await w.restart(['--stop-proxy']);
    expect((await viaProxy(w.proxyPort, prod())).body).toBe('v1 | built once\n');
    const caddy = await proxyPid(w.server.dataDir);
    expect(caddy).toBeDefined();
    expect(await w.server.stop('SIGTERM')).toBe(0);
    expect(w.server.logs()).toMatch(/edge proxy stopped \(--stop-proxy\)/);
    expect(await proxyPid(w.server.dataDir)).toBeUndefined();
    await expect(viaProxy(w.proxyPort, prod())).rejects.toThrow(/ECONNREFUSED/);
  }, 120_000);
});
