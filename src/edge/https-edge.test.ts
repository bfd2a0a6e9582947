/**
 * An edge with HTTPS on the real caddy binary, on loopback: `tls internal` certificates that a
 * client verifies against the edge's own CA, HTTP→HTTPS redirects, 404 for unknown hosts on
 * both ports, certificate state (valid, and failed with Caddy's error when the ACME directory
 * cannot be reached), a restart and an adoption that keep HTTPS, and the way back to HTTP only.
 */
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_ROUTE_BODY } from './caddy-config.js';
import { CaddyAdmin } from './caddy-admin.js';
import { CaddySupervisor, adminSocketOf } from './caddy-supervisor.js';
import { CertificateWatch } from './certificates.js';
import type { HttpsSpec } from './https-config.js';
import { eventually, freePort, plainGet, secureGet, startUpstream, type Upstream } from './test-support/http.js';

describe('edge with HTTPS', () => {
  let a: Upstream;
  let stateDir: string;
  let httpListen: string;
  let https: HttpsSpec;
  let supervisor: CaddySupervisor;
  let watch: CertificateWatch;
  const logs: string[] = [];
  const extra: CaddySupervisor[] = [];

  beforeAll(async () => {
    a = await startUpstream('A');
    stateDir = mkdtempSync(join(tmpdir(), 'slipway-https-edge-'));
    httpListen = `127.0.0.1:${await freePort()}`;
    const httpsPort = await freePort();
    // An ACME directory on a loopback port nothing listens on: public names fail, nothing leaves the machine.
    const closed = await freePort();
    https = { listen: `127.0.0.1:${httpsPort}`, acme: { directory: `https://127.0.0.1:${closed}/acme/local/directory`, trustedRootFiles: [], email: null } };
    watch = new CertificateWatch('127.0.0.1', httpsPort);
    supervisor = new CaddySupervisor({
      proxyListen: httpListen,
      https,
      stateDir,
      backoff: { initialMs: 100, maxMs: 1_000 },
      onLog: (line) => {
        logs.push(line);
        watch.observe(line);
      },
    });
    await supervisor.start();
  });

  afterAll(async () => {
    for (const s of [...extra, supervisor]) await s?.stop().catch(() => undefined);
    await a?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('serves a private name over HTTPS with a tls internal certificate the client verifies, and redirects HTTP to it', async () => {
    await supervisor.admin.setRoute('web', ['web.test.localhost'], [a.address]);
    const root = await supervisor.admin.internalRoot();
    await eventually(async () => (await secureGet(https.listen, 'web.test.localhost', root)).status === 200, 10_000);
    expect(await secureGet(https.listen, 'web.test.localhost', root, '/x')).toMatchObject({ status: 200, body: 'A' });
    // Redirect to the same host and URI, on this edge's HTTPS port (not 443, so it is spelled out).
    const port = https.listen.split(':')[1];
    expect(await plainGet(httpListen, 'web.test.localhost', '/path?q=1')).toMatchObject({ status: 308, location: `https://web.test.localhost:${port}/path?q=1` });
    // Unknown hosts: 404 on HTTP (no redirect); on HTTPS no certificate at all.
    expect(await plainGet(httpListen, 'nobody.test.localhost')).toMatchObject({ status: 404, body: NO_ROUTE_BODY });
    await expect(secureGet(https.listen, 'nobody.test.localhost', root)).rejects.toThrow();
    // Another CA's root does not verify it.
    const foreign = (await import('node:tls')).rootCertificates.join('\n');
    await expect(secureGet(https.listen, 'web.test.localhost', foreign)).rejects.toThrow(/certificate/);

    // Names Caddy would send to ACME but Slipway calls private get tls internal too.
    await supervisor.admin.setRoute('intra', ['intranet', 'wiki.corp.internal', 'nas.home.arpa'], [a.address]);
    for (const name of ['intranet', 'wiki.corp.internal', 'nas.home.arpa']) {
      await eventually(async () => (await secureGet(https.listen, name, root)).status === 200, 10_000);
    }
    expect((await watch.status(['intranet', 'wiki.corp.internal'])).map((c) => [c.state, c.source])).toEqual([['valid', 'internal'], ['valid', 'internal']]);

    const [state] = await watch.status(['web.test.localhost']);
    expect(state).toMatchObject({ domain: 'web.test.localhost', state: 'valid', source: 'internal', error: null });
    expect(state?.issuer).toMatch(/Caddy Local Authority/);
    expect(Date.parse(state?.notAfter ?? '')).toBeGreaterThan(Date.now());
  }, 30_000);

  it('reports a public name whose ACME directory cannot be reached as failed, with the error Caddy logged', async () => {
    await supervisor.admin.setRoute('shop', ['shop.example.test'], [a.address]);
    let last: unknown;
    await eventually(async () => {
      [last] = await watch.status(['shop.example.test']);
      return (last as { state: string }).state === 'failed';
    }, 15_000).catch(() => expect.fail(`not failed: ${JSON.stringify(last)}\n${logs.slice(-10).join('\n')}`));
    expect(last).toMatchObject({ domain: 'shop.example.test', source: 'acme', issuer: null });
    expect((last as { error: string }).error).toMatch(/connection refused|connect/);
    // The redirect is there as soon as the name is routed.
    expect((await plainGet(httpListen, 'shop.example.test')).status).toBe(308);
  }, 30_000);

  it('changes the ACME settings in one reload, and none when they are the same', async () => {
    const calls: string[] = [];
    const admin = new CaddyAdmin(adminSocketOf(stateDir), { onRequest: (method, path) => calls.push(`${method} ${path}`) });
    const next: HttpsSpec = { ...https, acme: { ...https.acme, email: 'ops@example.test' } };
    await admin.ensureHttps(httpListen, next);
    expect(calls).toEqual(['GET /config/', 'POST /load']);
    expect(await supervisor.admin.getConfig('apps/tls/automation/policies/1/issuers/0/email')).toBe('ops@example.test');
    calls.length = 0;
    await admin.ensureHttps(httpListen, next);
    expect(calls).toEqual(['GET /config/']);
    // The supervisor keeps them for its restarts.
    await supervisor.setHttps(next);
    expect(supervisor.https).toEqual(next);
    https = next;
    expect((await supervisor.admin.listRoutes()).map((r) => r.id).sort()).toEqual(['intra', 'shop', 'web']);
  });

  it('restarts with HTTPS and its routes after a crash', async () => {
    const pid = supervisor.pid;
    expect(pid).toBeDefined();
    process.kill(pid!, 'SIGKILL');
    await eventually(async () => supervisor.pid !== undefined && supervisor.pid !== pid, 10_000);
    const root = await supervisor.admin.internalRoot();
    await eventually(async () => (await secureGet(https.listen, 'web.test.localhost', root)).body === 'A', 10_000);
    expect(await supervisor.admin.getConfig('apps/tls/automation/policies/1/issuers/0/email')).toBe('ops@example.test');
  }, 30_000);

  it('an HTTP-only supervisor that adopts it turns it back into an HTTP-only edge with the same routes', async () => {
    await supervisor.release();
    const plain = new CaddySupervisor({ proxyListen: httpListen, stateDir });
    extra.push(plain);
    await plain.start();
    expect(plain.owned).toBe(false);
    expect(await plainGet(httpListen, 'web.test.localhost')).toMatchObject({ status: 200, body: 'A' });
    expect((await plain.admin.listRoutes()).map((r) => r.id).sort()).toEqual(['intra', 'shop', 'web']);
    // Nothing listens on the HTTPS port any more.
    const [host, port] = https.listen.split(':');
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer().once('error', () => resolve(false));
      probe.listen(Number(port), host, () => probe.close(() => resolve(true)));
    });
    expect(free).toBe(true);
  }, 30_000);
});
