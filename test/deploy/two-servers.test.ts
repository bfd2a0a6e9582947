/**
 * Two Slipway servers on one machine, two data directories, two proxy ports, no proxy setting
 * beyond --proxy-listen: each runs its own Caddy (admin API on a unix socket in its own data
 * directory), serves its own routes, and stopping one never touches the other's traffic. Before
 * the socket, both used Caddy's admin port 127.0.0.1:2019: the second server adopted the first
 * one's Caddy and moved its listener (or failed at start with a Caddy 500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from '../support/server-process.js';
import { deployWorld, proxyPid, viaProxy, type DeployWorld } from '../support/deploy.js';

let one: DeployWorld;
let two: DeployWorld;
const prod = (w: DeployWorld) => `prod.shop.${w.ws}.localhost`;

beforeAll(async () => {
  one = await deployWorld({ workspace: 'duo-one' });
  two = await deployWorld({ workspace: 'duo-two' });
  for (const [w, greeting] of [[one, 'one'], [two, 'two']] as const) {
    expect((await w.run(['config', 'set', `GREETING=${greeting}`, '-w', w.ws, '-p', 'shop', '-e', 'prod'])).code).toBe(0);
    const r = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--version', '1.0.0', '--skip-approval']);
    expect(r.code, r.stderr).toBe(0);
  }
}, 600_000);

afterAll(async () => {
  await one?.dispose();
  await two?.dispose();
  await cleanup();
});

describe('two servers on one machine', () => {
  it('each runs its own proxy and serves its own routes only', async () => {
    const [pidOne, pidTwo] = [await proxyPid(one.server.dataDir), await proxyPid(two.server.dataDir)];
    expect(pidOne).toBeDefined();
    expect(pidTwo).toBeDefined();
    expect(pidOne).not.toBe(pidTwo);
    expect(await viaProxy(one.proxyPort, prod(one))).toEqual({ status: 200, body: 'one | built once\n' });
    expect(await viaProxy(two.proxyPort, prod(two))).toEqual({ status: 200, body: 'two | built once\n' });
    expect((await viaProxy(one.proxyPort, prod(two))).status).toBe(404);
    expect((await viaProxy(two.proxyPort, prod(one))).status).toBe(404);
  });

  it('stopping one server and its proxy leaves the other serving', async () => {
    expect(await one.server.stop('SIGTERM')).toBe(0);
    const stopped = await one.run(['proxy', 'stop', '--data-dir', one.server.dataDir, '--json']);
    expect(stopped.json()).toMatchObject({ stopped: true });
    await expect(viaProxy(one.proxyPort, prod(one))).rejects.toThrow(/ECONNREFUSED/);
    expect(await viaProxy(two.proxyPort, prod(two))).toEqual({ status: 200, body: 'two | built once\n' });
    const r = await two.run(['config', 'set', 'GREETING=two again', '-w', two.ws, '-p', 'shop', '-e', 'prod', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const followed = await two.run(['logs', r.json<{ deployment: { id: string } }>().deployment.id, '-w', two.ws, '--follow', '--json']);
    expect(followed.json<{ end: { status: string } }>().end.status).toBe('succeeded');
    expect(await viaProxy(two.proxyPort, prod(two))).toEqual({ status: 200, body: 'two again | built once\n' });
  }, 180_000);
});
