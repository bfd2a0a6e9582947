/**
 * A custom service end to end, on the real Docker engine and Caddy: Slipway runs a custom image
 * (busybox httpd with a CGI that keeps a value in its data volume, made on this machine and pushed
 * to Slipway's registry) with a port, an HTTP health check, a variable given at create (a secret
 * canary), a volume, limits and a private network. An environment attached to it gets KV_HOST,
 * KV_PORT and KV_URL (the service's name as prefix) and joins that network; the Node app built by
 * Slipway reaches it through KV_URL. Rotate and backup are refused with their code; the canary is
 * in no answer, audit entry, label, log or the plain store; an upgrade needs --without-backup and
 * keeps the volume; detach and remove --drop-data leave nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, ok } from '../support/api.js';
import { pushCustomImage } from '../support/custom-image.js';
import { deployWorld, viaProxy, type DeployWorld } from '../support/deploy.js';
import { cleanup, tempDir } from '../support/server-process.js';
import { buildServiceApp, pushNodeBase } from '../support/service-app.js';

interface Service {
  name: string;
  kind: string;
  mode: string;
  workloadAddress: string;
  serverVersion: string | null;
  provisioned?: { image: string; imageDigest: string; volume: string | null; network: string; memoryBytes: number | null; health: string; upgradedAt: string | null };
  custom?: { scheme: string; health: string; volumePath: string | null; env: string[] };
}

let w: DeployWorld;
let kv: Service;
const canary = `canary-custom-${process.pid}-${Date.now().toString(36)}`;
const domain = `dev.kvapp.custom.localhost`;
const code = (r: { json<T>(): T }) => r.json<{ error: { code: string } }>().error.code;

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting until ${what}`);
}

async function app(path: string): Promise<string> {
  const r = await viaProxy(w.proxyPort, domain, path);
  expect(r.status, r.body).toBe(200);
  return r.body;
}

beforeAll(async () => {
  w = await deployWorld({ workspace: 'custom' });
  ok(await apiClient(w.server.url, w.server.adminToken).post(`/api/v1/workspaces/${w.ws}/projects`, { name: 'kvapp' }));
  await pushNodeBase(w.docker, `${w.host}/${w.ws}/base:node`);
  await pushCustomImage(w.docker, `${w.host}/${w.ws}/base:kv1`, 1);
  await pushCustomImage(w.docker, `${w.host}/${w.ws}/base:kv2`, 2);
  const archive = await buildServiceApp(tempDir('slipway-kvapp-'));
  const built = await w.run(['build', archive, '-w', w.ws, '-p', 'kvapp', '--runtime', 'node', '--version', '1.0.0', '--base', `${w.host}/${w.ws}/base:node`, '--json']);
  if (built.code !== 0) throw new Error(`build failed: ${built.stderr}`);
}, 400_000);

afterAll(async () => {
  await w?.dispose();
  if (kv?.provisioned?.volume) await w.docker(['volume', 'rm', '-f', kv.provisioned.volume]).catch(() => undefined);
  if (kv?.provisioned?.network) await w.docker(['network', 'rm', kv.provisioned.network]).catch(() => undefined);
  await cleanup();
}, 120_000);

describe('a custom service', () => {
  it('runs the image with its port, health check, variables, volume, limits and a private network', async () => {
    const r = await w.run(['service', 'create', 'kv', '-w', w.ws, '--kind', 'custom', '--image', 'base:kv1', '--port', '8080', '--env', `GREETING=${canary}`, '--volume', '/data', '--health', 'http:/healthz', '--memory', '64m', '--json']);
    expect(r.code, r.stderr).toBe(0);
    kv = r.json<Service>();
    expect(kv).toMatchObject({ kind: 'custom', mode: 'provisioned', serverVersion: null, custom: { scheme: 'http', health: 'http:/healthz', volumePath: '/data', env: ['GREETING'] } });
    expect(kv.provisioned?.health).toBe('ready');
    expect(kv.workloadAddress).toBe(`${kv.provisioned?.network}-1:8080`);
    const [c] = JSON.parse(await w.docker(['inspect', `${kv.provisioned?.network}-1`])) as Array<{
      HostConfig: { Memory: number; PortBindings: Record<string, Array<{ HostIp: string }>> };
      NetworkSettings: { Networks: Record<string, unknown> };
      Mounts: Array<{ Type: string; Name?: string; Destination: string }>;
    }>;
    for (const b of Object.values(c!.HostConfig.PortBindings).flat()) expect(b.HostIp).toBe('127.0.0.1');
    expect(c!.HostConfig.Memory).toBe(64 * 1024 ** 2);
    expect(Object.keys(c!.NetworkSettings.Networks)).toEqual([kv.provisioned?.network]);
    expect(c!.Mounts).toContainEqual(expect.objectContaining({ Type: 'volume', Name: kv.provisioned?.volume, Destination: '/data' }));
  });

  it('an attached environment gets KV_HOST, KV_PORT and KV_URL and reaches it over the private network', async () => {
    const a = await w.run(['service', 'attach', 'kv', '-w', w.ws, '-p', 'kvapp', '-e', 'dev', '--json']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.json<{ attachment: { as: string; variables: string[]; generation: number } }>().attachment).toMatchObject({ as: 'KV', variables: ['KV_HOST', 'KV_PORT', 'KV_URL'], generation: 0 });
    const d = await w.run(['deploy', '-w', w.ws, '-p', 'kvapp', '-e', 'dev', '--version', '1.0.0', '--json']);
    expect(d.code, d.stderr).toBe(0);
    // The variable given at create reached the image (it wrote it into its volume on first start).
    expect(await app('/custom/greeting')).toBe(canary);
    expect(await app('/custom/write?v=before-upgrade')).toBe('ok');
    expect(await app('/custom/read')).toBe('before-upgrade');
    const show = await w.run(['service', 'show', 'kv', '-w', w.ws]);
    expect(show.stdout).toContain('no credentials of their own');
    expect(show.stdout).toContain('GREETING (values stored encrypted, never shown)');
  });

  it('refuses rotate and backup with their code, and keeps the variable out of answers, audit, labels, logs and the store', async () => {
    expect(code(await w.run(['service', 'rotate', 'kv', '-w', w.ws, '-p', 'kvapp', '-e', 'dev', '--json']))).toBe('SLW_SERVICE_UNSUPPORTED');
    expect(code(await w.run(['service', 'backup', 'kv', '-w', w.ws, '-p', 'kvapp', '-e', 'dev', '--json']))).toBe('SLW_SERVICE_UNSUPPORTED');
    const show = await w.run(['service', 'show', 'kv', '-w', w.ws, '--json']);
    const audit = await w.run(['audit', '-w', w.ws, '--json', '--limit', '200']);
    expect(audit.stdout).toContain('"GREETING"');
    const labels = await w.docker(['ps', '-a', '--filter', `label=io.slipway.workspace=${w.ws}`, '--format', '{{.Labels}} {{.Names}}']);
    for (const text of [show.stdout, audit.stdout, labels, w.server.logs()]) expect(text).not.toContain(canary);
    expect(readFileSync(join(w.server.dataDir, 'slipway.db')).includes(canary)).toBe(false);
  });

  it('upgrades only with --without-backup, on the same volume', async () => {
    expect(code(await w.run(['service', 'upgrade', 'kv', '-w', w.ws, '--image', 'base:kv2', '--json']))).toBe('SLW_SERVICE_UNSUPPORTED');
    const u = await w.run(['service', 'upgrade', 'kv', '-w', w.ws, '--image', 'base:kv2', '--without-backup', '--json']);
    expect(u.code, u.stderr).toBe(0);
    const r = u.json<{ upgrade: { status: string; fromDigest: string; toDigest: string; backups: string[] }; service: Service; downMs: number }>();
    expect(r.upgrade).toMatchObject({ status: 'succeeded', fromDigest: kv.provisioned?.imageDigest, backups: [] });
    expect(r.service.provisioned?.imageDigest).toBe(r.upgrade.toDigest);
    expect(r.service.provisioned?.upgradedAt).not.toBeNull();
    console.log(`custom service upgrade: ${r.downMs} ms not ready`);
    expect(await app('/custom/read')).toBe('before-upgrade');
    expect(await app('/custom/greeting')).toBe(canary);
  });

  it('detaches, and remove --drop-data deletes the volume and the network', async () => {
    const detach = await w.run(['service', 'detach', 'kv', '-w', w.ws, '-p', 'kvapp', '-e', 'dev', '--json']);
    expect(detach.code, detach.stderr).toBe(0);
    const id = detach.json<{ deployment: { id: string } | null }>().deployment?.id;
    if (id) expect((await w.run(['logs', id, '-w', w.ws, '--follow', '--json'])).code).toBe(0);
    await until('the attachment is gone', async () => (await w.run(['service', 'show', 'kv', '-w', w.ws, '--json'])).json<{ attachments: unknown[] }>().attachments.length === 0);
    const removed = await w.run(['service', 'remove', 'kv', '-w', w.ws, '--drop-data', '--confirm', 'kv', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await w.docker(['volume', 'inspect', kv.provisioned?.volume ?? '']).then(() => true, () => false)).toBe(false);
    expect(await w.docker(['network', 'inspect', kv.provisioned?.network ?? '']).then(() => true, () => false)).toBe(false);
  });

  it('refuses bad input with a code and leaves nothing behind', async () => {
    const cases: Array<[string[], string]> = [
      [['--image', 'base:kv1'], 'SLW_VALIDATION'], // no --port
      [['--image', 'base:kv1', '--port', '8080', '--health', 'udp'], 'SLW_VALIDATION'],
      [['--image', 'base:kv1', '--port', '8080', '--volume', 'data'], 'SLW_VALIDATION'],
      [['--image', 'base:kv1', '--port', '8080', '--env', '1X=y'], 'SLW_INVALID_KEY'],
      [['--adopt', '127.0.0.1:6379'], 'SLW_SERVICE_HOST_REFUSED'],
      [['--adopt', 'search.example'], 'SLW_SERVICE_URL_INVALID'],
      // The node base has nothing to run: it cannot start, and what was made is taken down again.
      [['--image', 'base:node', '--port', '8080'], 'SLW_SERVICE_PROVISION_FAILED'],
    ];
    for (const [args, expected] of cases) expect(code(await w.run(['service', 'create', 'bad', '-w', w.ws, '--kind', 'custom', ...args, '--json'])), args.join(' ')).toBe(expected);
    expect(code(await w.run(['service', 'create', 'bad', '-w', w.ws, '--kind', 'postgres', '--image', 'base:kv1', '--port', '5432', '--json']))).toBe('SLW_VALIDATION');
    expect((await w.run(['service', 'list', '-w', w.ws, '--json'])).json<{ services: unknown[] }>().services).toEqual([]);
    expect((await w.docker(['ps', '-aq', '--filter', 'label=io.slipway.service=bad'])).trim()).toBe('');
  }, 240_000);
});
