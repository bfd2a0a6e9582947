/**
 * The egress rule against tiny HTTP servers on 127.0.0.1: internal destinations are refused by
 * default (directly, by DNS name, through a redirect, through a token realm) before any request
 * reaches them, an allow-list opens them, and no answer's text ever comes back in an error.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaTypes } from '../../core/oci.js';
import { OciClient } from './client.js';
import { EgressPolicy, parseAllowEntry } from './egress.js';

interface Listening {
  server: Server;
  port: number;
  seen: string[];
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

const failure = async (p: Promise<unknown>): Promise<{ code: string; message: string }> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: { code: string; message: string }) => e,
  );

const secret = 'INTERNAL-ONLY-TEXT';
const accept = [mediaTypes.ociManifest];

describe('egress policy', () => {
  const servers: Server[] = [];
  /** An internal service: answers anything with text that must never leave. */
  let inner: Listening;
  /** A registry on an allowed name that points elsewhere: redirects and a token realm. */
  let outer: Listening;

  beforeAll(async () => {
    inner = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: secret, errors: [{ code: 'DENIED', message: secret }] }));
    });
    outer = await listen((req, res) => {
      const url = req.url ?? '';
      if (url.startsWith('/v2/realm/')) {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${inner.port}/token",service="x"` });
        res.end();
      } else if (url.startsWith('/v2/redirect/')) {
        res.writeHead(307, { location: `http://127.0.0.1:${inner.port}/internal` });
        res.end();
      } else if (url.startsWith('/v2/mapped/')) {
        res.writeHead(302, { location: `https://[::ffff:127.0.0.1]:${inner.port}/internal` });
        res.end();
      } else if (url.startsWith('/v2/broken/')) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(secret);
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: secret, detail: secret }] }));
      }
    });
    servers.push(inner.server, outer.server);
  });
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it('refuses loopback, private, link-local, unspecified, CGNAT and mapped addresses by default, before connecting', async () => {
    const client = new OciClient({ timeoutMs: 2000 });
    const refs = [
      `127.0.0.1:${inner.port}/t1/app:v1`,
      `localhost:${inner.port}/t1/app:v1`, // a name: refused after DNS resolution
      `[::ffff:127.0.0.1]:${inner.port}/t1/app:v1`,
      `[::1]:${inner.port}/t1/app:v1`,
      '10.0.0.1:5000/t1/app:v1',
      '192.168.1.1/t1/app:v1',
      '169.254.169.254/latest/meta-data:v1',
      `0.0.0.0:${inner.port}/t1/app:v1`,
      '100.64.0.1/t1/app:v1',
      '[fd00::1]:5000/t1/app:v1',
    ];
    for (const ref of refs) {
      const e = await failure(client.getManifest(ref, accept));
      expect(e.code, ref).toBe('SLW_REGISTRY_HOST_REFUSED');
      expect(e.message).toMatch(/address, which this server does not fetch from; .*--allow-registry-host/);
    }
    expect(inner.seen).toEqual([]);
  });

  it('checks every redirect hop and the token realm, even from an allowed registry', async () => {
    // `localhost` is allowed by name; the address 127.0.0.1 is not.
    const client = new OciClient({ egress: new EgressPolicy(['localhost']), credentials: async () => ({ username: 'robot', password: 'pw' }) });
    const realm = await failure(client.getManifest(`localhost:${outer.port}/realm/app:v1`, accept));
    expect(realm).toMatchObject({ code: 'SLW_REGISTRY_HOST_REFUSED', message: expect.stringContaining('registry host 127.0.0.1 is a loopback address') });
    const redirect = await failure(client.getManifest(`localhost:${outer.port}/redirect/app:v1`, accept));
    expect(redirect).toMatchObject({ code: 'SLW_REGISTRY_HOST_REFUSED', message: expect.stringContaining('127.0.0.1') });
    const mapped = await failure(client.getManifest(`localhost:${outer.port}/mapped/app:v1`, accept));
    expect(mapped).toMatchObject({ code: 'SLW_REGISTRY_HOST_REFUSED', message: expect.stringContaining('loopback') });
    expect(inner.seen).toEqual([]); // no token fetched, so none sent on to the registry either
    expect(outer.seen.length).toBe(3);
  });

  it("never repeats an answer's text: the status, a standard error code, and what to do", async () => {
    const client = new OciClient({ egress: new EgressPolicy(['127.0.0.0/8']) });
    const missing = await failure(client.getManifest(`127.0.0.1:${outer.port}/missing/app:v1`, accept));
    expect(missing.message).toContain('(404: MANIFEST_UNKNOWN); check the name, tag or digest');
    const broken = await failure(client.getManifest(`127.0.0.1:${outer.port}/broken/app:v1`, accept));
    expect(broken).toMatchObject({ code: 'SLW_UPSTREAM_REGISTRY', message: expect.stringContaining('answered 500 for') });
    const denied = await failure(client.pullBase(`127.0.0.1:${inner.port}/any/app:v1`)); // 200, but not a manifest
    for (const e of [missing, broken, denied]) expect(e.message).not.toContain(secret);
  });

  it('resolves, checks and hands the socket only a checked address', async () => {
    const lookup = (policy: EgressPolicy, all: boolean) =>
      new Promise<unknown>((resolve) => {
        policy.lookup('localhost', { all } as never, ((error: Error | null, address: unknown) => resolve(error ?? address)) as never);
      });
    expect(await lookup(new EgressPolicy(), false)).toMatchObject({ code: 'SLW_REGISTRY_HOST_REFUSED' });
    expect(await lookup(new EgressPolicy(), true)).toMatchObject({ code: 'SLW_REGISTRY_HOST_REFUSED' });
    expect(await lookup(new EgressPolicy(['127.0.0.1/32']), false)).toBe('127.0.0.1');
    expect(await lookup(new EgressPolicy(['localhost']), true)).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });

  it('reads allow-list entries: host names, addresses and CIDR ranges, without ports or schemes', () => {
    expect(['Registry.Internal', '127.0.0.1', '10.0.0.0/8', 'fd00::/8', '[::1]'].map(parseAllowEntry)).toEqual([
      { entry: 'registry.internal' },
      { entry: '127.0.0.1' },
      { entry: '10.0.0.0/8' },
      { entry: 'fd00::/8' },
      { entry: '[::1]' },
    ]);
    for (const bad of ['127.0.0.1:5000', 'http://registry', '10.0.0.0/40', 'a b', '']) expect(parseAllowEntry(bad)).toHaveProperty('error');
    expect(() => new EgressPolicy(['10.0.0.0/40'])).toThrow(/--allow-registry-host/);
  });
});
