/** CaddyAdmin against a real Caddy (started by the supervisor on free loopback ports). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaddyAdminError } from './admin-http.js';
import { NO_ROUTE_BODY, SERVER_PATH } from './caddy-config.js';
import { CaddySupervisor } from './caddy-supervisor.js';
import { freePort, proxyGet, startUpstream, type Upstream } from './test-support/http.js';

describe('CaddyAdmin', () => {
  let supervisor: CaddySupervisor;
  let adminListen: string;
  let proxy: string;
  let a: Upstream;
  let b: Upstream;

  beforeAll(async () => {
    adminListen = `127.0.0.1:${await freePort()}`;
    proxy = `127.0.0.1:${await freePort()}`;
    supervisor = new CaddySupervisor({ adminListen, proxyListen: proxy, adopt: false });
    await supervisor.start();
    [a, b] = await Promise.all([startUpstream('A'), startUpstream('B')]);
  });

  afterAll(async () => {
    await supervisor?.stop();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('answers 404 with a clear body for a host without a route', async () => {
    expect(await proxyGet(proxy, 'nobody.test.localhost')).toEqual({ status: 404, body: NO_ROUTE_BODY });
  });

  it('routes a host to its upstream, replaces the route by id, lists and removes it', async () => {
    const admin = supervisor.admin;
    await admin.setRoute('web', ['web.test.localhost'], [a.address]);
    expect(await proxyGet(proxy, 'web.test.localhost')).toEqual({ status: 200, body: 'A' });
    expect(await proxyGet(proxy, 'web.test.localhost:8080')).toEqual({ status: 200, body: 'A' });

    await admin.setRoute('api', ['api.test.localhost'], [b.address]);
    await admin.setRoute('web', ['web.test.localhost', 'www.test.localhost'], [b.address]);
    expect(await proxyGet(proxy, 'www.test.localhost')).toEqual({ status: 200, body: 'B' });
    expect(await admin.listRoutes()).toEqual([
      { id: 'api', hosts: ['api.test.localhost'], upstreams: [b.address] },
      { id: 'web', hosts: ['web.test.localhost', 'www.test.localhost'], upstreams: [b.address] },
    ]);

    await admin.removeRoute('web');
    await admin.removeRoute('web');
    await admin.removeRoute('never-existed');
    expect(await proxyGet(proxy, 'web.test.localhost')).toEqual({ status: 404, body: NO_ROUTE_BODY });
    expect(await proxyGet(proxy, 'api.test.localhost')).toEqual({ status: 200, body: 'B' });
    expect((await admin.listRoutes()).map((route) => route.id)).toEqual(['api']);
    expect(supervisor.knownRoutes().map((route) => route.id)).toEqual(['api']);
    await admin.removeRoute('api');
  });

  it('rejects a bad route before calling Caddy', async () => {
    await expect(supervisor.admin.setRoute('web', ['web.test.localhost'], ['192.0.2.1:80'])).rejects.toThrow(/not a loopback address/);
    await expect(supervisor.admin.ensureServer('0.0.0.0:80')).rejects.toThrow(/not a loopback address/);
  });

  it('ensureServer changes nothing when the server is in place', async () => {
    const before = await supervisor.admin.getConfig(SERVER_PATH);
    await supervisor.admin.ensureServer(proxy);
    expect(await supervisor.admin.getConfig(SERVER_PATH)).toEqual(before);
  });

  it('ensureServer creates the server (and apps.http) on a Caddy that has none', async () => {
    await supervisor.admin.load({ admin: { listen: adminListen, config: { persist: false } } });
    expect(await supervisor.admin.getConfig('apps')).toBeNull();
    await supervisor.admin.ensureServer(proxy);
    expect(await supervisor.admin.getConfig(`${SERVER_PATH}/automatic_https`)).toEqual({ disable: true });
    expect(await proxyGet(proxy, 'web.test.localhost')).toEqual({ status: 404, body: NO_ROUTE_BODY });
    await supervisor.admin.setRoute('web', ['web.test.localhost'], [a.address]);
    expect(await proxyGet(proxy, 'web.test.localhost')).toEqual({ status: 200, body: 'A' });
    await supervisor.admin.removeRoute('web');
  });

  it('reports in-flight requests per upstream, for draining', async () => {
    const slow = await startUpstream('slow', 700);
    try {
      await supervisor.admin.setRoute('slow', ['slow.test.localhost'], [slow.address]);
      const pending = proxyGet(proxy, 'slow.test.localhost');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await supervisor.admin.upstreams()).toContainEqual({ address: slow.address, numRequests: 1, fails: 0 });
      await pending;
      expect(await supervisor.admin.upstreams()).toContainEqual({ address: slow.address, numRequests: 0, fails: 0 });
    } finally {
      await supervisor.admin.removeRoute('slow');
      await slow.close();
    }
  });

  it('turns Caddy errors into CaddyAdminError with the status and Caddy’s message', async () => {
    const error = await supervisor.admin.load({ apps: { http: { servers: { x: { listen: ['nonsense::'] } } } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CaddyAdminError);
    expect((error as CaddyAdminError).status).toBe(400);
    expect((error as CaddyAdminError).message).toMatch(/caddy admin POST \/load answered 400/);
  });
});
