/**
 * The server process from start to stop: first-start admin token, health and metrics, one
 * server per data dir, graceful shutdown with requests in flight, and refused starts (bad flags,
 * wrong master key), each with one clear line on stderr.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, call, ok } from '../support/api.js';
import { paths } from '../support/fixtures.js';
import { freePort } from '../support/docker-registry.js';
import { cleanup, runServerToExit, startServerProcess, tempDir, type Finished, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
/** The loopback metrics listener's /metrics (--metrics-listen). */
let metricsUrl: string;

beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  server = await startServerProcess({ args: ['--metrics-listen', `127.0.0.1:${port}`] });
});
afterAll(async () => {
  await server?.stop();
  await cleanup();
});

/** A refused start: non-zero exit and exactly one `error CODE: …` line on stderr. */
function expectRefused(r: Finished, code: string): string {
  expect(r.code, r.stderr).not.toBe(0);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error ${code}: \\S`));
  return lines[0] as string;
}

/** Sends the head and half the body of a request now; `finish()` sends the rest and resolves with the answer. */
function slowRequest(url: string, method: string, path: string, token: string, body: unknown) {
  const data = Buffer.from(JSON.stringify(body));
  const req = request(`${url}${path}`, { method, agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': data.length } });
  const answer = new Promise<{ status: number; text: string }>((done, fail) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (s: string) => (text += s));
      res.on('end', () => done({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', fail);
  });
  req.write(data.subarray(0, 5));
  return {
    finish: () => {
      req.end(data.subarray(5));
      return answer;
    },
  };
}

const count = (text: string, part: string) => text.split(part).length - 1;

describe('first start', () => {
  it('writes the admin token to a 0600 file and logs where it is, never what it is', async () => {
    const file = join(server.dataDir, 'admin-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(server.dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(server.adminToken).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
    expect(server.logs()).toContain(file);
    expect(ok<{ user: { instanceAdmin: boolean } }>(await apiClient(server.url, server.adminToken).get('/api/v1/whoami')).user.instanceAdmin).toBe(true);
    expect(server.logs()).not.toContain(server.adminToken);
    expect(server.logs()).not.toContain(server.adminToken.slice(4, 24));
  });

  it('answers /healthz and /metrics (to an instance admin token only)', async () => {
    const health = await call(server.url, { path: '/healthz' });
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'ok', store: 'sqlite' });
    const metrics = await call(server.url, { path: '/metrics', token: server.adminToken });
    expect(metrics.status).toBe(200);
    expect(metrics.contentType).toMatch(/^text\/plain/);
    expect(metrics.text).toContain('# TYPE slipway_http_requests_total counter');
    expect(metrics.text).toMatch(/^slipway_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]/m);
  });

  it('refuses /metrics on the main listener without a token (401) and to a workspace token (403)', async () => {
    const anonymous = await call(server.url, { path: '/metrics' });
    expect({ status: anonymous.status, json: anonymous.json }).toMatchObject({ status: 401, json: { error: { code: 'SLW_UNAUTHENTICATED' } } });
    expect(anonymous.text).not.toContain('slipway_http_requests_total');
    const admin = apiClient(server.url, server.adminToken);
    ok(await admin.post('/api/v1/workspaces', { name: 'metrics', tier: 'low' }));
    const owner = ok<{ token: string }>(await admin.post('/api/v1/workspaces/metrics/tokens', { name: 'owner', role: 'owner' })).token;
    const scoped = await call(server.url, { path: '/metrics', token: owner });
    expect({ status: scoped.status, json: scoped.json }).toMatchObject({ status: 403, json: { error: { code: 'SLW_FORBIDDEN' } } });
    expect(scoped.text).not.toContain('slipway_http_requests_total');
  });

  it('serves /metrics without a token on the loopback --metrics-listen address, and nothing else there', async () => {
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE slipway_http_requests_total counter');
    for (const path of ['/healthz', '/api/v1/whoami', '/v2/', '/']) expect((await fetch(new URL(path, metricsUrl))).status, path).toBe(404);
  });
});

describe('one server per data directory', () => {
  it('a second server on the same data dir refuses with SLW_DATA_DIR_LOCKED, naming the pid', async () => {
    const line = expectRefused(await runServerToExit({ dataDir: server.dataDir }), 'SLW_DATA_DIR_LOCKED');
    expect(line).toContain(`pid ${server.pid}`);
    expect(line).toContain(server.dataDir);
    expect((await call(server.url, { path: '/healthz' })).status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM lets in-flight requests finish, exits 0, and releases the data dir', async () => {
    const admin = apiClient(server.url, server.adminToken);
    ok(await admin.post('/api/v1/workspaces', { name: 'acme', tier: 'mid' }));
    ok(await admin.post(`${paths.workspace('acme')}/projects`, { name: 'web' }));
    const configPath = `${paths.project('acme', 'web')}/config`;
    const secretPath = `${paths.environment('acme', 'web', 'prod')}/secrets/IN_FLIGHT`;
    const seen = count(server.logs(), '"msg":"incoming request"');

    const config = slowRequest(server.url, 'PATCH', configPath, server.adminToken, { set: { IN_FLIGHT: 'finished' } });
    const secret = slowRequest(server.url, 'PUT', secretPath, server.adminToken, { value: 'in-flight-value' });
    // Both requests have reached their handlers (they wait for the rest of their bodies).
    await server.waitForLogs((logs) => count(logs, '"msg":"incoming request"') >= seen + 2);
    const exit = server.stop('SIGTERM');
    await server.waitForLogs((logs) => logs.includes('shutting down'));

    const [c, s] = await Promise.all([config.finish(), secret.finish()]);
    expect(c.status, c.text).toBe(200);
    expect(JSON.parse(c.text)).toMatchObject({ changed: true });
    expect(s.status, s.text).toBe(200);
    expect(await exit).toBe(0);
    expect(server.logs()).toMatch(/"msg":"stopped"/);

    server = await startServerProcess({ dataDir: server.dataDir });
    const restarted = apiClient(server.url, server.adminToken);
    expect(ok<{ entries: unknown[] }>(await restarted.get(`${paths.environment('acme', 'web', 'prod')}/config`)).entries).toContainEqual({ key: 'IN_FLIGHT', value: 'finished', layer: 'base' });
    expect(ok<{ secrets: Array<{ name: string }> }>(await restarted.get(`${paths.environment('acme', 'web', 'prod')}/secrets`)).secrets.map((x) => x.name)).toEqual(['IN_FLIGHT']);
    expect(server.logs()).toContain(join(server.dataDir, 'admin-token'));
    expect(server.logs()).not.toContain(server.adminToken);
  });
});

describe('refused starts', () => {
  it('bad flags and variables exit non-zero with SLW_SERVER_CONFIG', async () => {
    expect(expectRefused(await runServerToExit({ listen: 'nonsense' }), 'SLW_SERVER_CONFIG')).toContain('nonsense');
    expect(expectRefused(await runServerToExit({ listen: '127.0.0.1:99999' }), 'SLW_SERVER_CONFIG')).toContain('listen');
    expect(expectRefused(await runServerToExit({ args: ['--database-url', 'mysql://x'] }), 'SLW_SERVER_CONFIG')).toContain('postgres://');
    expect(expectRefused(await runServerToExit({ env: { SLIPWAY_LOG_LEVEL: 'loud' } }), 'SLW_SERVER_CONFIG')).toContain('logLevel');
    expect(expectRefused(await runServerToExit({ args: ['--metrics-listen', '0.0.0.0:9100'] }), 'SLW_SERVER_CONFIG')).toContain('loopback');
    expect(expectRefused(await runServerToExit({ args: ['--public-url', 'https://example.com/path'] }), 'SLW_SERVER_CONFIG')).toContain('public URL');
    const busyPort = new URL(server.url).host;
    expect(expectRefused(await runServerToExit({ listen: busyPort }), 'SLW_SERVER_CONFIG')).toContain(busyPort);
  });

  it('another master key on an existing store is refused with SLW_MASTER_KEY_MISMATCH, and the store stays usable', async () => {
    const dataDir = server.dataDir;
    expect(await server.stop()).toBe(0);
    const otherKey = join(tempDir(), 'other.key');
    writeFileSync(otherKey, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    expect(expectRefused(await runServerToExit({ dataDir, env: { SLIPWAY_MASTER_KEY_FILE: otherKey } }), 'SLW_MASTER_KEY_MISMATCH')).toContain(otherKey);
    expectRefused(await runServerToExit({ dataDir, env: { SLIPWAY_MASTER_KEY_FILE: join(dataDir, 'no-such.key') } }), 'SLW_MASTER_KEY_INVALID');

    server = await startServerProcess({ dataDir });
    const api = apiClient(server.url, server.adminToken);
    expect(ok<{ secrets: Array<{ name: string }> }>(await api.get(`${paths.environment('acme', 'web', 'prod')}/secrets`)).secrets).toHaveLength(1);
  });
});
