/**
 * Pulls from a registry that demands credentials (Slipway's own, in process, with Docker token
 * auth and the admin token as password), through a recording proxy in front of the engine: the
 * password travels only in `X-Registry-Auth` (padded URL-safe base64), the secret environment
 * only in the create body, and no request line carries either. Then the pulled image runs with
 * its own HEALTHCHECK, which `imageHealthcheck` reads back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer, type InProcessServer } from '../../../test/support/in-process.js';
import { ok } from '../../../test/support/api.js';
import { pushBlob, pushImage, sha256 } from '../../../test/support/oci-push.js';
import { DockerEngine } from './engine.js';
import { DockerError } from './errors.js';
import { busyboxRootfs, eventually, removeTestObjects, testLabel, uniqueRun } from './test-support/busybox.js';
import { startRecordingProxy, type RecordingProxy } from './test-support/recording-proxy.js';
import type { PullProgress, RegistryAuth } from './types.js';

const run = uniqueRun();
const secret = `s3cr3t &?=/+% ${run}`;
let server: InProcessServer;
let proxy: RecordingProxy;
let docker: DockerEngine;
let host: string;
let repo: string;
let digest: string;
let auth: RegistryAuth;

beforeAll(async () => {
  server = await startInProcessServer();
  proxy = await startRecordingProxy();
  docker = new DockerEngine({ socketPath: proxy.socketPath });
  host = new URL(server.url).host;
  ok(await server.admin.post('/api/v1/workspaces', { name: 'acme', tier: 'high' }));
  ok(await server.admin.post('/api/v1/workspaces/acme/projects', { name: 'app' }));
  const layer = await busyboxRootfs('pulled with credentials\n');
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux',
    config: {
      Env: ['PATH=/bin'], Cmd: ['/bin/busybox', 'httpd', '-f', '-p', '8080', '-h', '/www'], Labels: { [testLabel]: run },
      Healthcheck: { Test: ['CMD', '/bin/busybox', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/'], Interval: 200e6, Timeout: 2e9, Retries: 3, StartPeriod: 1e9 },
    },
    rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
  }));
  const target = { url: server.url, token: server.adminToken };
  for (const blob of [layer, config]) await pushBlob(target, 'acme/app', blob);
  digest = await pushImage(target, 'acme/app', run, config, [layer]);
  repo = `${host}/acme/app`;
  // A user name that makes the JSON's length no multiple of 3, so the header needs `=` padding.
  let username = 'deployer';
  while (JSON.stringify({ username, password: server.adminToken, serveraddress: host }).length % 3 === 0) username += 'x';
  auth = { username, password: server.adminToken, serveraddress: host };
});

afterAll(async () => {
  await removeTestObjects(new DockerEngine(), run, [`${repo}:${run}`, `${repo}@${digest}`]);
  await proxy?.close();
  await server?.close();
});

describe('pullImage with registry credentials', () => {
  it('refuses without credentials or with a wrong password, with the engine\'s reason', async () => {
    const anonymous = await docker.pullImage(`${repo}:${run}`).catch((e: unknown) => e);
    expect(anonymous).toBeInstanceOf(DockerError);
    expect((anonymous as Error).message).toMatch(/unauthorized|authentication required|denied/i);
    const wrong = await docker.pullImage(`${repo}:${run}`, { ...auth, password: 'slw_wrong' }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(DockerError);
    expect(await docker.imageExists(`${repo}:${run}`)).toBe(false);
  });

  it('pulls by tag and by digest, reporting progress and the digest', async () => {
    const progress: PullProgress[] = [];
    const pulled = await docker.pullImage(`${repo}:${run}`, auth, (line) => progress.push(line));
    expect(pulled.digest).toBe(digest);
    expect(progress.map((p) => p.status)).toContain(`Digest: ${digest}`);
    expect(progress.some((p) => p.id !== undefined)).toBe(true);
    expect(await docker.pullImage(`${repo}@${digest}`, auth)).toEqual({ digest });
    expect(await docker.imageExists(`${repo}@${digest}`)).toBe(true);
    expect((await docker.inspectImage(`${repo}:${run}`))?.repoDigests).toContain(`${repo}@${digest}`);
    expect(await docker.imageHealthcheck(`${repo}@${digest}`)).toEqual({
      test: ['CMD', '/bin/busybox', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/'], intervalMs: 200, timeoutMs: 2000, retries: 3, startPeriodMs: 1000,
    });
  });

  it('runs the pulled image with its own health check and the secret only in the body', async () => {
    const id = await docker.createContainer(`slw-${run}-pulled`, {
      image: `${repo}@${digest}`, env: { DB_PASSWORD: secret }, labels: { [testLabel]: run }, containerPort: 8080, hostIp: '127.0.0.1',
    });
    await docker.startContainer(id);
    const healthy = await eventually('healthy', async () => {
      const c = await docker.inspectContainer(id);
      return c?.state.health === 'healthy' ? c : undefined;
    });
    expect(healthy).toMatchObject({ image: `${repo}@${digest}`, imageDigest: digest });
    expect(healthy.env).toContain(`DB_PASSWORD=${secret}`);
    expect(await (await fetch(`http://127.0.0.1:${healthy.hostPort}/`)).text()).toBe('pulled with credentials\n');
    await docker.removeContainer(id, { force: true });
  });

  it('never put the password or the secret in a request line; the password went only base64 in X-Registry-Auth', () => {
    const lines = proxy.requestLines();
    expect(lines.some((l) => l.startsWith('POST /v1.41/images/create?fromImage='))).toBe(true);
    expect(lines.some((l) => l.startsWith('POST /v1.41/containers/create?name='))).toBe(true);
    const forms = (s: string) => [s, encodeURIComponent(s), new URLSearchParams({ v: s }).toString().slice(2)];
    for (const line of lines) {
      for (const form of [...forms(server.adminToken), ...forms(secret), ...forms('slw_wrong')]) expect(line).not.toContain(form);
    }
    const sent = proxy.sent().join('');
    expect(sent).not.toContain(server.adminToken);
    expect(sent).toContain(JSON.stringify(`DB_PASSWORD=${secret}`)); // in the JSON body
    const headers = proxy.headerValues('x-registry-auth');
    expect(headers.length).toBeGreaterThanOrEqual(3);
    for (const h of headers) expect(h).toMatch(/^[A-Za-z0-9_-]+={0,2}$/);
    expect(headers.some((h) => h.endsWith('='))).toBe(true);
    const decoded = headers.map((h) => JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as RegistryAuth);
    expect(decoded).toContainEqual(auth);
  });
});
