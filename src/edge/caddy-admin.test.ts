/** CaddyAdmin against a real Caddy (started by the supervisor; admin API on a unix socket). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaddyAdminError } from './admin-http.js';
import { CaddyAdmin } from './caddy-admin.js';
import { DEFAULT_ROUTE_ID, NO_ROUTE_BODY, SERVER_PATH, adminListenOf, parseDrainRoute, type Json } from './caddy-config.js';
import { CaddySupervisor } from './caddy-supervisor.js';
import { eventually, freePort, proxyGet, startHeldUpstream, startUpstream, type Upstream } from './test-support/http.js';

describe('CaddyAdmin', () => {
  let supervisor: CaddySupervisor;
  let proxy: string;
  let a: Upstream;
  let b: Upstream;

  beforeAll(async () => {
    proxy = `127.0.0.1:${await freePort()}`;
    supervisor = new CaddySupervisor({ proxyListen: proxy, adopt: false });
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

  it('does not touch Caddy when a route is set again as it is', async () => {
    const calls: string[] = [];
    const watched = new CaddyAdmin(supervisor.admin.socketPath, { onRequest: (method, path) => calls.push(`${method} ${path}`) });
    await watched.setRoute('same', ['same.test.localhost'], [a.address]);
    expect(calls.filter((call) => !call.startsWith('GET'))).toHaveLength(1);
    calls.length = 0;
    await watched.setRoute('same', ['same.test.localhost'], [a.address]);
    expect(calls).toEqual([`GET /config/${SERVER_PATH}/routes`]);
    await watched.setRoute('same', ['same.test.localhost'], [b.address]);
    expect(calls.filter((call) => !call.startsWith('GET'))).toEqual([`PATCH /config/${SERVER_PATH}/routes`]);
    expect(await proxyGet(proxy, 'same.test.localhost')).toEqual({ status: 200, body: 'B' });
    await watched.removeRoute('same');
  });

  it('routes to upstreams given by host name and by IPv6 address', async () => {
    const byName = `localhost:${a.address.split(':')[1]}`;
    await supervisor.admin.setRoute('named', ['named.test.localhost'], [byName]);
    expect(await proxyGet(proxy, 'named.test.localhost')).toEqual({ status: 200, body: 'A' });
    const six = await startUpstream('six', 0, undefined, '::1').catch(() => undefined);
    if (six) {
      await supervisor.admin.setRoute('named', ['named.test.localhost'], [six.address]);
      expect(await proxyGet(proxy, 'named.test.localhost')).toEqual({ status: 200, body: 'six' });
      await six.close();
    }
    // A routable address (TEST-NET-3, never dialled here) is taken as it is.
    await supervisor.admin.setRoute('named', ['named.test.localhost'], ['203.0.113.7:8080']);
    expect((await supervisor.admin.listRoutes()).find((route) => route.id === 'named')?.upstreams).toEqual(['203.0.113.7:8080']);
    await supervisor.admin.removeRoute('named');
  });

  it('rejects a bad route before calling Caddy', async () => {
    const calls: string[] = [];
    const watched = new CaddyAdmin(supervisor.admin.socketPath, { onRequest: (method, path) => calls.push(`${method} ${path}`) });
    await expect(watched.setRoute('web', ['web.test.localhost'], ['{http.request.header.x-target}:80'])).rejects.toThrow(/invalid host name/);
    await expect(watched.setRoute('web', ['web.test.localhost'], ['unix//run/docker.sock:80'])).rejects.toThrow(/invalid host name/);
    await expect(watched.setRoute('web', ['{http.request.host}'], [a.address])).rejects.toThrow(/not a host name/);
    await expect(watched.setRoute('x/../../admin', ['web.test.localhost'], [a.address])).rejects.toThrow(/route id .* is invalid/);
    await expect(watched.ensureServer('0.0.0.0:80')).rejects.toThrow(/not a loopback address/);
    expect(calls).toEqual([]);
  });

  it('ensureServer changes nothing when the server is in place', async () => {
    const before = await supervisor.admin.getConfig(SERVER_PATH);
    await supervisor.admin.ensureServer(proxy);
    expect(await supervisor.admin.getConfig(SERVER_PATH)).toEqual(before);
  });

  it('ensureServer creates the server (and apps.http) on a Caddy that has none', async () => {
    await supervisor.admin.load({ admin: { listen: adminListenOf(supervisor.admin.socketPath), config: { persist: false } } });
    expect(await supervisor.admin.getConfig('apps')).toBeNull();
    await supervisor.admin.ensureServer(proxy);
    expect(await supervisor.admin.getConfig(`${SERVER_PATH}/automatic_https`)).toEqual({ disable: true });
    expect(await proxyGet(proxy, 'web.test.localhost')).toEqual({ status: 404, body: NO_ROUTE_BODY });
    await supervisor.admin.setRoute('web', ['web.test.localhost'], [a.address]);
    expect(await proxyGet(proxy, 'web.test.localhost')).toEqual({ status: 200, body: 'A' });
    await supervisor.admin.removeRoute('web');
  });

  it('counts in-flight requests per upstream, also after a switch took the upstream out of the route', async () => {
    const admin = supervisor.admin;
    const slow = await startHeldUpstream('slow');
    try {
      await admin.setRoute('slow', ['slow.test.localhost'], [slow.address]);
      expect(await admin.inFlight([slow.address])).toBe(0);
      const pending = [1, 2, 3].map(() => proxyGet(proxy, 'slow.test.localhost'));
      await eventually(async () => slow.held() === 3);
      expect(await admin.inFlight([slow.address])).toBe(3);
      expect(await admin.inFlight([slow.address, slow.address, '10.9.9.9:80'])).toBe(3);

      // The switch: new requests go to B; the three on the old upstream are still counted.
      await admin.setRoute('slow', ['slow.test.localhost'], [b.address]);
      expect(await proxyGet(proxy, 'slow.test.localhost')).toEqual({ status: 200, body: 'B' });
      expect(await admin.inFlight([slow.address])).toBe(3);
      expect(await admin.inFlight([b.address])).toBe(0);

      slow.release();
      expect(await Promise.all(pending)).toEqual([1, 2, 3].map(() => ({ status: 200, body: 'slow' })));
      await eventually(async () => (await admin.inFlight([slow.address])) === 0);

      // The next change forgets the drained upstream; the holder now names only what that change took out.
      await admin.setRoute('slow', ['slow.test.localhost'], [a.address]);
      const routes = (await admin.getConfig(`${SERVER_PATH}/routes`)) as Json[];
      expect(routes.flatMap((route) => parseDrainRoute(route) ?? [])).toEqual([{ id: 'slow', upstreams: [b.address] }]);
      expect(routes.map((route) => (route as { '@id'?: string })['@id']).at(-1)).toBe(DEFAULT_ROUTE_ID);
    } finally {
      slow.release();
      await admin.removeRoute('slow');
      await slow.close();
    }
  });

  it('counts the requests of a removed route while they drain', async () => {
    const admin = supervisor.admin;
    const slow = await startHeldUpstream('gone');
    try {
      await admin.setRoute('gone', ['gone.test.localhost'], [slow.address]);
      const pending = proxyGet(proxy, 'gone.test.localhost');
      await eventually(async () => slow.held() === 1);
      await admin.removeRoute('gone');
      expect(await proxyGet(proxy, 'gone.test.localhost')).toEqual({ status: 404, body: NO_ROUTE_BODY });
      expect(await admin.inFlight([slow.address])).toBe(1);
      slow.release();
      expect(await pending).toEqual({ status: 200, body: 'gone' });
      await eventually(async () => (await admin.inFlight([slow.address])) === 0);
    } finally {
      slow.release();
      await slow.close();
    }
  });

  it('turns Caddy errors into CaddyAdminError with the status and Caddy’s message', async () => {
    const error = await supervisor.admin.load({ apps: { http: { servers: { x: { listen: ['nonsense::'] } } } } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CaddyAdminError);
    expect((error as CaddyAdminError).status).toBe(400);
    expect((error as CaddyAdminError).message).toMatch(/caddy admin POST \/load answered 400/);
  });

  it('says clearly when nothing answers on the socket', async () => {
    const nobody = new CaddyAdmin('/nonexistent/slipway/admin.sock');
    expect(await nobody.isUp()).toBe(false);
    const error = await nobody.getConfig().catch((e: unknown) => e);
    expect((error as CaddyAdminError).unreachable).toBe(true);
    expect((error as Error).message).toMatch(/caddy admin at unix socket \/nonexistent\/slipway\/admin.sock unreachable/);
    expect(() => new CaddyAdmin('relative/admin.sock')).toThrow(/absolute path/);
    expect(() => new CaddyAdmin(`/${'d'.repeat(120)}/admin.sock`)).toThrow(/unix sockets allow at most 107: use a shorter data directory path/);
  });
});
