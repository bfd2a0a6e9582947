/**
 * Registry isolation: a token of workspace A can neither pull, push, delete nor mount from
 * workspace B's repositories, and cannot tell B's existing repository from a missing one. Also
 * the role ceilings: viewers pull only, developers cannot delete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { workspaceToken } from '../support/fixtures.js';
import { basic, pushBlob, pushImage, randomBlob, sha256 } from '../support/oci-push.js';

let server: InProcessServer;
let tokenA: string;
let tokenB: string;
let viewerA: string;
let developerA: string;
let secretLayer: Uint8Array;
let imageB: string;

async function jwt(token: string, scopes: string[]): Promise<{ token: string; access: Array<{ name: string; actions: string[] }> }> {
  const q = new URLSearchParams({ service: 'slipway' });
  for (const s of scopes) q.append('scope', s);
  const res = await fetch(`${server.url}/v2/token?${q.toString()}`, { headers: { authorization: basic(token) } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { token: string };
  const payload = JSON.parse(Buffer.from(body.token.split('.')[1]!, 'base64url').toString('utf8')) as { access: Array<{ name: string; actions: string[] }> };
  return { token: body.token, access: payload.access };
}

async function send(method: string, path: string, auth: string, body?: Uint8Array, contentType?: string) {
  const headers: Record<string, string> = { authorization: auth };
  if (contentType) headers['content-type'] = contentType;
  const res = await fetch(`${server.url}${path}`, { method, headers, body });
  return { status: res.status, text: await res.text(), location: res.headers.get('location') };
}

beforeAll(async () => {
  server = await startInProcessServer();
  for (const ws of ['alpha', 'bravo']) {
    await server.admin.post('/api/v1/workspaces', { name: ws, tier: 'high' });
    await server.admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'web' });
    await server.admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'api' });
  }
  tokenA = (await workspaceToken(server.admin, 'alpha', 'owner')).api.token;
  tokenB = (await workspaceToken(server.admin, 'bravo', 'owner')).api.token;
  viewerA = (await workspaceToken(server.admin, 'alpha', 'viewer')).api.token;
  developerA = (await workspaceToken(server.admin, 'alpha', 'developer')).api.token;
  const t = { url: server.url, token: tokenB };
  secretLayer = randomBlob(2048);
  const config = new TextEncoder().encode('{"architecture":"amd64","os":"linux"}');
  await pushBlob(t, 'bravo/web', secretLayer);
  await pushBlob(t, 'bravo/web', config);
  imageB = await pushImage(t, 'bravo/web', 'v1', config, [secretLayer]);
});
afterAll(async () => server?.close());

describe('registry isolation between workspaces', () => {
  it("A's token gets the same refusal for B's existing repository as for a missing one", async () => {
    for (const auth of [basic(tokenA), `Bearer ${(await jwt(tokenA, ['repository:bravo/web:pull'])).token}`]) {
      const existing = await send('GET', `/v2/bravo/web/manifests/v1`, auth);
      const missing = await send('GET', `/v2/bravo/nothing-here/manifests/v1`, auth);
      expect([401, 403]).toContain(existing.status);
      expect({ status: missing.status, text: missing.text.replaceAll('nothing-here', 'web') }).toEqual({ status: existing.status, text: existing.text });
      expect((await send('HEAD', `/v2/bravo/web/blobs/${sha256(secretLayer)}`, auth)).status).toBe(existing.status);
      expect((await send('GET', `/v2/bravo/web/tags/list`, auth)).status).toBe(existing.status);
    }
  });

  it("A's token cannot push to or delete from B", async () => {
    const push = await send('POST', `/v2/bravo/web/blobs/uploads/`, basic(tokenA));
    expect([401, 403]).toContain(push.status);
    const manifest = await send('PUT', `/v2/bravo/web/manifests/evil`, basic(tokenA), new TextEncoder().encode('{}'), 'application/vnd.oci.image.manifest.v1+json');
    expect([401, 403]).toContain(manifest.status);
    const del = await send('DELETE', `/v2/bravo/web/manifests/${imageB}`, basic(tokenA));
    expect([401, 403]).toContain(del.status);
    expect((await send('HEAD', `/v2/bravo/web/manifests/${imageB}`, basic(tokenB))).status).toBe(200);
  });

  it("a mount from B into A falls back to an upload (202) and the blob stays unreadable in A", async () => {
    const token = await jwt(tokenA, ['repository:alpha/web:pull,push', 'repository:bravo/web:pull']);
    expect(token.access).toEqual([{ type: 'repository', name: 'alpha/web', actions: ['pull', 'push'] }]);
    const mount = await send('POST', `/v2/alpha/web/blobs/uploads/?mount=${sha256(secretLayer)}&from=bravo/web`, `Bearer ${token.token}`);
    expect(mount.status).toBe(202);
    expect(mount.location).toMatch(/^\/v2\/alpha\/web\/blobs\/uploads\//);
    expect((await send('HEAD', `/v2/alpha/web/blobs/${sha256(secretLayer)}`, `Bearer ${token.token}`)).status).toBe(404);
    // The same answer as for a digest nobody holds.
    const nobody = await send('POST', `/v2/alpha/web/blobs/uploads/?mount=${sha256(randomBlob(8))}&from=bravo/web`, `Bearer ${token.token}`);
    expect(nobody.status).toBe(202);
  });

  it('a mount between projects of one workspace works when the token can pull the source', async () => {
    const layer = randomBlob(512);
    await pushBlob({ url: server.url, token: tokenA }, 'alpha/web', layer);
    const token = await jwt(tokenA, ['repository:alpha/api:pull,push', 'repository:alpha/web:pull']);
    const mount = await send('POST', `/v2/alpha/api/blobs/uploads/?mount=${sha256(layer)}&from=alpha/web`, `Bearer ${token.token}`);
    expect(mount.status).toBe(201);
  });

  it('the token endpoint grants the intersection: nothing in B, pull only to a viewer, no delete to a developer', async () => {
    expect((await jwt(tokenA, ['repository:bravo/web:pull,push'])).access).toEqual([]);
    expect((await jwt(viewerA, ['repository:alpha/web:pull,push'])).access).toEqual([{ type: 'repository', name: 'alpha/web', actions: ['pull'] }]);
    expect((await jwt(developerA, ['repository:alpha/web:pull,push,delete'])).access).toEqual([{ type: 'repository', name: 'alpha/web', actions: ['pull', 'push'] }]);
    const bad = await fetch(`${server.url}/v2/token?service=slipway&scope=repository:alpha/web:pull`, { headers: { authorization: basic('slw_not-a-real-token') } });
    expect(bad.status).toBe(401);
  });

  it('a viewer cannot push and a developer cannot delete', async () => {
    const viewerPush = await send('POST', `/v2/alpha/web/blobs/uploads/`, basic(viewerA));
    expect(viewerPush.status).toBe(403);
    const layer = randomBlob(256);
    await pushBlob({ url: server.url, token: developerA }, 'alpha/web', layer);
    const devDelete = await send('DELETE', `/v2/alpha/web/blobs/${sha256(layer)}`, basic(developerA));
    expect(devDelete.status).toBe(403);
  });
});
