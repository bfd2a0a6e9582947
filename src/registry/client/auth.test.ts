/**
 * Authentication and hostile answers, against tiny registries started here with node:http: a
 * Bearer registry with its token service, a Basic one, one that lies about content, and one
 * that redirects blobs to another origin.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaTypes } from '../../core/oci.js';
import { parseChallenge, readTokenResponse, TokenCache } from './auth.js';
import { OciClient } from './client.js';
import { EgressPolicy } from './egress.js';

/** The test registries listen on 127.0.0.1, which only an allow-list lets the client reach. */
const loopback = new EgressPolicy(['127.0.0.1']);

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const password = 's3cret-pa55';
const basicOk = `Basic ${Buffer.from(`robot:${password}`).toString('base64')}`;

interface Seen {
  url: string;
  authorization: string | undefined;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; host: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const config = Buffer.from('{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[]}}');
const blob = Buffer.from('layer bytes');
const manifest = Buffer.from(
  JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: mediaTypes.ociConfig, digest: sha(config), size: config.length }, layers: [{ mediaType: mediaTypes.ociLayerGzip, digest: sha(blob), size: blob.length }] }),
);

/** Serves the image above; `authorized` decides, else 401 with `challenge`. */
function registry(authorized: (auth: string | undefined) => boolean, challenge: () => string, lie = false) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (!authorized(req.headers.authorization)) {
      res.writeHead(401, { 'www-authenticate': challenge(), 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    const url = req.url ?? '';
    if (url.startsWith('/v2/t1/app/manifests/')) {
      res.writeHead(200, { 'content-type': mediaTypes.ociManifest });
      res.end(lie ? Buffer.concat([manifest, Buffer.from(' ')]) : manifest);
    } else if (url === `/v2/t1/app/blobs/${sha(config)}`) {
      res.end(config);
    } else if (url === `/v2/t1/app/blobs/${sha(blob)}`) {
      res.end(lie ? Buffer.from('other bytes') : blob);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}');
    }
  };
}

async function drain(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const failure = async (p: Promise<unknown>): Promise<{ code: string; message: string }> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: { code: string; message: string }) => e,
  );

describe('challenges and tokens', () => {
  it('parses Bearer and Basic challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
    expect(parseChallenge('Negotiate')).toBeUndefined();
    expect(parseChallenge(null)).toBeUndefined();
  });

  it('reads token answers and keeps tokens until they expire', () => {
    expect(readTokenResponse({ access_token: 'a', expires_in: 300 })).toEqual({ token: 'a', expiresIn: 300 });
    expect(readTokenResponse({ token: 't' })).toEqual({ token: 't', expiresIn: 60 });
    expect(readTokenResponse({})).toBeUndefined();
    let now = 0;
    const cache = new TokenCache(() => now);
    cache.set('r', 'repository:a:pull', 'Bearer x', 60);
    expect(cache.get('r', 'repository:a:pull')).toBe('Bearer x');
    expect(cache.get('r', 'repository:b:pull')).toBeUndefined();
    now = 54_000;
    expect(cache.get('r', 'repository:a:pull')).toBe('Bearer x');
    now = 56_000;
    expect(cache.get('r', 'repository:a:pull')).toBeUndefined();
  });
});

describe('OciClient authentication', () => {
  const servers: Server[] = [];
  let bearer: Awaited<ReturnType<typeof listen>>;
  let tokens: Awaited<ReturnType<typeof listen>>;
  let issued = 0;

  beforeAll(async () => {
    tokens = await listen((req, res) => {
      if (req.headers.authorization !== basicOk) {
        res.writeHead(401);
        res.end();
        return;
      }
      issued += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: `tok-${issued}`, expires_in: 300 }));
    });
    bearer = await listen(
      registry(
        (auth) => auth !== undefined && /^Bearer tok-\d+$/.test(auth),
        () => `Bearer realm="http://${tokens.host}/token",service="fake-registry",scope="repository:t1/app:pull"`,
      ),
    );
    servers.push(tokens.server, bearer.server);
  });

  afterAll(() => {
    for (const s of servers) s.close();
  });

  it('gets a Bearer token with Basic credentials, once per scope, and never puts them in a URL', async () => {
    const client = new OciClient({ egress: loopback, credentials: async (host) => (host === bearer.host ? { username: 'robot', password } : undefined) });
    const base = await client.pullBase(`${bearer.host}/t1/app:v1`);
    expect(base.manifestDigest).toBe(sha(manifest));
    expect(await drain((await client.getBlob(bearer.host, 't1/app', sha(blob))).stream)).toEqual(blob);
    expect(issued).toBe(1); // manifest, config and blob share one token
    const tokenRequest = new URL(tokens.seen[0]?.url ?? '', 'http://x');
    expect(tokenRequest.searchParams.get('service')).toBe('fake-registry');
    expect(tokenRequest.searchParams.get('scope')).toBe('repository:t1/app:pull');
    expect([...tokens.seen, ...bearer.seen].every((s) => !s.url.includes(password) && !s.url.includes('robot'))).toBe(true);
    expect(bearer.seen.filter((s) => s.authorization === undefined)).toHaveLength(1); // only the first, to get the challenge
    const parallel = new OciClient({ egress: loopback, credentials: async () => ({ username: 'robot', password }) });
    await Promise.all([1, 2, 3].map(() => parallel.getManifest(`${bearer.host}/t1/app:v1`, [mediaTypes.ociManifest])));
    expect(issued).toBe(2); // three parallel requests, one token request
  });

  it('refuses with a clear message when the credentials are wrong or missing, without echoing them', async () => {
    const wrong = await failure(new OciClient({ egress: loopback, credentials: async () => ({ username: 'robot', password: 'wrong-horse' }) }).pullBase(`${bearer.host}/t1/app:v1`));
    expect(wrong.code).toBe('SLW_BASE_IMAGE_UNAVAILABLE');
    expect(wrong.message).toBe(`the token service of ${bearer.host} refused the credentials for ${bearer.host}/t1/app:v1 (401); check the registry credentials`);
    expect(wrong.message).not.toContain('wrong-horse');
    const none = await failure(new OciClient({ egress: loopback }).pullBase(`${bearer.host}/t1/app:v1`));
    expect(none.message).toMatch(/refused anonymous access .* add credentials for this registry/);
  });

  it('uses Basic auth when the registry asks for it', async () => {
    const basic = await listen(registry((auth) => auth === basicOk, () => 'Basic realm="fake"'));
    servers.push(basic.server);
    const client = new OciClient({ egress: loopback, credentials: async () => ({ username: 'robot', password }) });
    expect((await client.pullBase(`${basic.host}/t1/app:v1`)).manifestDigest).toBe(sha(manifest));
    const anonymous = await failure(new OciClient({ egress: loopback }).pullBase(`${basic.host}/t1/app:v1`));
    expect(anonymous).toMatchObject({ code: 'SLW_BASE_IMAGE_UNAVAILABLE', message: expect.stringMatching(/refused access to .*\(401: UNAUTHORIZED\); it needs credentials/) });
  });

  it('checks digests: a manifest by digest and a streamed blob', async () => {
    const liar = await listen(registry(() => true, () => '', true));
    servers.push(liar.server);
    const client = new OciClient({ egress: loopback });
    const m = await failure(client.getManifest(`${liar.host}/t1/app@${sha(manifest)}`, [mediaTypes.ociManifest]));
    expect(m).toMatchObject({ code: 'SLW_UPSTREAM_REGISTRY', message: expect.stringMatching(/whose digest is sha256:[0-9a-f]{64}, not/) });
    const { stream } = await client.getBlob(liar.host, 't1/app', sha(blob));
    await expect(drain(stream)).rejects.toMatchObject({ code: 'SLW_UPSTREAM_REGISTRY' });
  });

  it('follows a blob redirect to another origin without the Authorization header', async () => {
    const storage = await listen((_req, res) => res.end(blob));
    const redirecting = await listen((req, res) => {
      if (req.headers.authorization !== basicOk) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' });
        res.end();
        return;
      }
      res.writeHead(307, { location: `http://${storage.host}/bucket/blob?sig=abc` });
      res.end();
    });
    servers.push(storage.server, redirecting.server);
    const client = new OciClient({ egress: loopback, credentials: async () => ({ username: 'robot', password }) });
    expect(await drain((await client.getBlob(redirecting.host, 't1/app', sha(blob))).stream)).toEqual(blob);
    expect(storage.seen).toEqual([{ url: '/bucket/blob?sig=abc', authorization: undefined }]);
  });

  it('sends stored credentials to the token service only, not along its redirect to another origin', async () => {
    // Two origins: the realm (which checks the credentials) moved its token endpoint to another port.
    const moved = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: 'tok-moved', expires_in: 300 }));
    });
    const realm = await listen((req, res) => {
      res.writeHead(req.headers.authorization === basicOk ? 307 : 401, { location: `http://${moved.host}/token${(req.url ?? '').slice('/token'.length)}` });
      res.end();
    });
    const reg = await listen(registry((auth) => auth === 'Bearer tok-moved', () => `Bearer realm="http://${realm.host}/token",service="fake-registry"`));
    servers.push(moved.server, realm.server, reg.server);
    const client = new OciClient({ egress: loopback, credentials: async () => ({ username: 'robot', password }) });
    expect((await client.pullBase(`${reg.host}/t1/app:v1`)).manifestDigest).toBe(sha(manifest));
    expect(realm.seen.map((s) => s.authorization)).toEqual([basicOk]);
    expect(moved.seen.length).toBe(1);
    expect(moved.seen.map((s) => s.authorization)).toEqual([undefined]);
    expect(reg.seen.every((s) => s.authorization === undefined || s.authorization === 'Bearer tok-moved')).toBe(true);
  });

  it('uses https for non-loopback registries unless told otherwise', async () => {
    let asked = '';
    const client = new OciClient({ egress: loopback, insecure: (host) => ((asked = host), false), timeoutMs: 2000 });
    const e = await failure(client.pullBase(`${bearer.host}/t1/app:v1`));
    expect(asked).toBe(bearer.host);
    expect(e.code).toBe('SLW_BASE_IMAGE_UNAVAILABLE'); // TLS to a plain-http port fails
  });
});
