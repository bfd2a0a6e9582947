/**
 * `slipway server` serves the web panel at `/` with no separate step: the app for `/` and any
 * panel path a browser asks for, its hashed assets, a strict Content-Security-Policy, and never
 * the app where the API, the registry, health or metrics answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, startServerProcess, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess();
});

afterAll(async () => {
  await server?.stop();
  await cleanup();
});

const get = (path: string, accept = 'text/html') => fetch(`${server.url}${path}`, { headers: { accept } });

describe('the panel is served by slipway server', () => {
  it('answers / and deep panel paths with the app, under a strict CSP', async () => {
    for (const path of ['/', '/w/acme/p/shop', '/w/acme/deployments/dep_1']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const html = await res.text();
      expect(html).toContain('<div id="root"></div>');
      expect(html).toMatch(/src="\/assets\/index-[\w-]+\.js"/);
    }
  });

  it('serves the hashed assets with a long cache, and nothing outside them', async () => {
    const html = await (await get('/')).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const css = /href="(\/assets\/[^"]+\.css)"/.exec(html)![1]!;
    const js = await get(script, '*/*');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    const source = await js.text();
    expect(source.length).toBeGreaterThan(10_000);
    // Compressed for clients that take gzip (fetch asks for it and decodes it)...
    expect(js.headers.get('content-encoding')).toBe('gzip');
    expect(Number(js.headers.get('content-length'))).toBeLessThan(source.length / 2);
    // ...and plain for those that do not.
    const plain = await fetch(`${server.url}${script}`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(source);
    expect((await get(css, 'text/css')).headers.get('content-type')).toContain('text/css');
    for (const path of ['/assets/nope.js', '/assets/..%2f..%2fpackage.json', '/assets/%2e%2e/index.html']) expect((await get(path, '*/*')).status, path).toBe(404);
  });

  it('never answers API, registry, health or metrics paths with the app', async () => {
    const api = await get('/api/v1/nope');
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('SLW_ROUTE_NOT_FOUND');
    expect((await get('/v2/')).headers.get('content-type')).toContain('application/json');
    expect((await get('/healthz')).headers.get('content-type')).toContain('application/json');
    // A non-browser client asking for a panel path gets the API's JSON error, not HTML.
    const json = await get('/w/acme', 'application/json');
    expect(json.status).toBe(404);
    expect(json.headers.get('content-type')).toContain('application/json');
  });
});
