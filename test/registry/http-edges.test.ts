/**
 * The registry's HTTP edges (issue 10) against in-process servers:
 * - finding 16: the token realm in `WWW-Authenticate` never carries the client's `Host` or
 *   `X-Forwarded-*` headers, with or without --public-url and --trusted-proxy;
 * - finding 20: GET/HEAD of a manifest by a reference that is neither a tag nor a digest is 404
 *   MANIFEST_UNKNOWN (a PUT under an invalid tag stays 400 MANIFEST_INVALID).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { basic, createToken, createWorkspace, manifestAccept, registryCall, registryErrorCode } from '../support/registry-clients.js';

/** A raw request (fetch cannot set Host); resolves with status and headers. */
function raw(url: string, path: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((done, fail) => {
    const req = request(new URL(path, url), { method, headers }, (res) => {
      res.resume();
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', fail);
    req.end();
  });
}

const hostile: Array<Record<string, string>> = [
  { host: 'evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' },
  { host: 'evil.example",error="x', 'x-forwarded-proto': 'javascript' },
  { host: 'evil.example:1/..', 'x-forwarded-for': '6.6.6.6', forwarded: 'host=evil.example;proto=https' },
];

describe('the token realm (finding 16)', () => {
  let plain: InProcessServer;
  let proxied: InProcessServer;

  beforeAll(async () => {
    plain = await startInProcessServer();
    // A public URL, and this machine as a trusted proxy: forwarded headers still never reach the realm.
    proxied = await startInProcessServer({ SLIPWAY_PUBLIC_URL: 'https://registry.example.com', SLIPWAY_TRUSTED_PROXIES: '127.0.0.1,::1' });
  });
  afterAll(async () => {
    await plain?.close();
    await proxied?.close();
  });

  it('without --public-url it is the address the client connected to, whatever Host and X-Forwarded-* say', async () => {
    const own = new URL(plain.url).host;
    for (const headers of hostile) {
      for (const path of ['/v2/', '/v2/acme/shop/manifests/latest', '/v2/acme/shop/blobs/uploads/']) {
        const res = await raw(plain.url, path, headers, path.endsWith('uploads/') ? 'POST' : 'GET');
        expect(res.status).toBe(401);
        const challenge = String(res.headers['www-authenticate']);
        expect(challenge).toMatch(new RegExp(`^Bearer realm="http://${own.replace(/\./g, '\\.')}/v2/token",service="slipway"`));
        expect(challenge).not.toContain('evil');
      }
    }
  });

  it('with --public-url it is the public URL (a loopback client addressing the listener itself gets the listener)', async () => {
    for (const headers of hostile) {
      const res = await raw(proxied.url, '/v2/', headers);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="https://registry.example.com/v2/token",service="slipway"');
    }
    const own = new URL(proxied.url).host;
    const local = await raw(proxied.url, '/v2/', { host: own, 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
    expect(local.headers['www-authenticate']).toBe(`Bearer realm="http://${own}/v2/token",service="slipway"`);
  });
});

describe('manifest references that are neither a tag nor a digest (finding 20)', () => {
  let server: InProcessServer;
  let auth: string;

  beforeAll(async () => {
    server = await startInProcessServer();
    await createWorkspace(server.url, server.adminToken, 'acme', ['shop']);
    auth = basic(await createToken(server.url, server.adminToken, 'acme', 'developer'));
  });
  afterAll(async () => server?.close());

  it('GET and HEAD answer 404 MANIFEST_UNKNOWN; a PUT under an invalid tag stays 400 MANIFEST_INVALID', async () => {
    for (const ref of ['sha256:totallywrong', 'sha256:', '-leading-dash', '.dot', 'a'.repeat(129), 'bad%21tag', `sha512:${'a'.repeat(128)}`]) {
      const get = await registryCall(server.url, { path: `/v2/acme/shop/manifests/${ref}`, auth, headers: { accept: manifestAccept } });
      expect({ ref, status: get.status, code: registryErrorCode(get) }).toEqual({ ref, status: 404, code: 'MANIFEST_UNKNOWN' });
      const head = await registryCall(server.url, { method: 'HEAD', path: `/v2/acme/shop/manifests/${ref}`, auth, headers: { accept: manifestAccept } });
      expect({ ref, status: head.status }).toEqual({ ref, status: 404 });
    }
    const put = await registryCall(server.url, { method: 'PUT', path: '/v2/acme/shop/manifests/-leading-dash', auth, body: '{}', headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect({ status: put.status, code: registryErrorCode(put) }).toEqual({ status: 400, code: 'MANIFEST_INVALID' });
  });
});
