/**
 * A server answers on its port before its edge proxy and deploy engine are up (the engine pulls
 * from the server's own registry, so the listener comes first). Until they are, the API says
 * SLW_STARTING (503, Retry-After) and does nothing, and /healthz answers 503 — it used to run
 * the routes with no placement known, so an environment placed on `local` was refused with
 * SLW_TARGET_UNKNOWN "targets: none" (seen as a panel log tab that stopped following after a
 * restart). The CLI tries again by itself.
 *
 * Real parts: startServer with Caddy (--proxy-listen) on a fixed loopback port, polled from the
 * moment it accepts connections; the CLI's client against the real server.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseServerOptions } from '../../src/server/options.js';
import { createLogger, startServer, type RunningServer } from '../../src/server/start.js';
import { createClient } from '../../src/cli/client.js';
import { call, ok } from '../support/api.js';
import { freePort } from '../support/ports.js';
import { tempDir } from '../support/server-process.js';

const dataDir = tempDir('slipway-starting-');
let running: RunningServer | undefined;

afterAll(async () => {
  await running?.close();
  // Caddy runs detached and outlives the server; end the one of this data dir.
  await new Promise<void>((resolve) => execFile('pkill', ['-f', `${dataDir}/caddy/caddy.json`], () => resolve()));
});

const start = (port: number, proxyPort?: number) =>
  startServer(parseServerOptions({ dataDir, listen: `127.0.0.1:${port}`, ...(proxyPort ? { proxyListen: `127.0.0.1:${proxyPort}` } : {}) }, {}), createLogger(process.env.SLIPWAY_TEST_LOG_LEVEL ?? 'silent'));

describe('a server that is still starting', () => {
  it('answers SLW_STARTING and does nothing until its placements are known, then the same call works', async () => {
    // First start without the edge: a workspace, a project and an environment.
    const port = await freePort();
    const first = await start(port);
    const token = readFileSync(first.adminTokenFile, 'utf8').trim();
    const url = first.url;
    const admin = (method: string, path: string, body?: unknown) => call(url, { method, path, token, body });
    ok(await admin('POST', '/api/v1/workspaces', { name: 'early', tier: 'high' }));
    // A project comes with dev, staging and prod.
    ok(await admin('POST', '/api/v1/workspaces/early/projects', { name: 'shop' }));
    await first.close();

    // Started again with Caddy (a few hundred ms of start-up after the listener): asked from the first moment.
    const proxyPort = await freePort();
    let done = false;
    const starting = start(port, proxyPort).then((r) => {
      running = r;
      done = true;
    });
    const answers: Array<{ status: number; code?: string; retryAfter: string | null }> = [];
    const health: number[] = [];
    while (!done) {
      const res = await fetch(`${url}/api/v1/workspaces/early/projects/shop/environments/dev/settings`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ target: 'local' }),
      }).catch(() => null);
      if (res) {
        const body = (await res.json()) as { error?: { code: string } };
        answers.push({ status: res.status, code: body.error?.code, retryAfter: res.headers.get('retry-after') });
        health.push((await fetch(`${url}/healthz`)).status);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    await starting;

    // Every answer before the server was ready refused with SLW_STARTING; none said the target is unknown.
    const early = answers.filter((a) => a.status !== 200);
    expect(early.length).toBeGreaterThan(0);
    for (const a of early) expect(a).toEqual({ status: 503, code: 'SLW_STARTING', retryAfter: '1' });
    expect(health).toContain(503);
    // Once ready: the same change is taken, health is ok.
    ok(await admin('PATCH', '/api/v1/workspaces/early/projects/shop/environments/dev/settings', { target: 'local' }));
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  }, 120_000);

  it("the CLI's client waits while the server says SLW_STARTING, and gives up with the server's words after its wait", async () => {
    // A stand-in for the few hundred ms of start-up: the real server answers, a proxy in front says SLW_STARTING twice.
    const { createServer, request } = await import('node:http');
    const target = new URL(running!.url);
    let refusals = 2;
    const front = createServer((req, res) => {
      if (refusals > 0) {
        refusals -= 1;
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify({ error: { code: 'SLW_STARTING', message: 'the server is still starting' } }));
        return;
      }
      req.pipe(request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      }));
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const frontUrl = `http://127.0.0.1:${(front.address() as { port: number }).port}`;
    const token = readFileSync(running!.adminTokenFile, 'utf8').trim();
    const client = createClient({ server: frontUrl, token });
    try {
      const who = await client.request<{ user: { instanceAdmin: boolean } }>('GET', '/api/v1/whoami');
      expect(who.user.instanceAdmin).toBe(true);
      expect(refusals).toBe(0);
      // Still starting after the wait: the server's refusal, as it said it.
      refusals = 1_000;
      const impatient = createClient({ server: frontUrl, token, startingWaitMs: 1500 });
      await expect(impatient.request('GET', '/api/v1/whoami')).rejects.toMatchObject({ code: 'SLW_STARTING', message: 'the server is still starting' });
      impatient.close();
    } finally {
      client.close();
      await new Promise((resolve) => front.close(resolve));
    }
  });
});
