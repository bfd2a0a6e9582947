/**
 * Upgrading a provisioned PostgreSQL's image end to end, on the real Docker engine and Caddy.
 * Three images of this machine's PostgreSQL 15 are pushed to Slipway's registry: `pg-a`, `pg-b`
 * (the same files with another label: another digest) and `pg-broken` (its entrypoint exits).
 *
 * - a → b: every attachment (dev and prod) is backed up first, the server is replaced on the same
 *   volume, the data written before is there after, both environments keep reading and writing
 *   through their injected DATABASE_URL, and `service show` gives the new digest and when it was
 *   upgraded; the backup taken first restores what was there before the upgrade.
 * - b → broken: refused with SLW_SERVICE_UPGRADE_FAILED, rolled back: b runs again and answers.
 * - a server killed midway through an upgrade: the next one puts the stored image back and marks
 *   the upgrade interrupted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, ok } from '../support/api.js';
import { deployWorld, viaProxy, type DeployWorld } from '../support/deploy.js';
import { pushPostgresImage } from '../support/postgres-image.js';
import { cleanup, tempDir } from '../support/server-process.js';
import { buildServiceApp, pushNodeBase } from '../support/service-app.js';

interface Service {
  name: string;
  serverVersion: string | null;
  provisioned?: { image: string; imageDigest: string; volume: string | null; network: string; health: string; upgradedAt: string | null };
}
interface Upgrade {
  id: string;
  status: string;
  fromDigest: string;
  toDigest: string;
  backups: string[];
  message: string | null;
  durationMs: number | null;
}

let w: DeployWorld;
let db: Service;
const digests: Record<string, string> = {};
const code = (r: { json<T>(): T }) => r.json<{ error: { code: string; message: string } }>().error;
const domain = (env: string) => `${env}.pgapp.${w.ws}.localhost`;

async function app(env: string, path: string): Promise<string> {
  const r = await viaProxy(w.proxyPort, domain(env), path);
  expect(r.status, r.body).toBe(200);
  return r.body;
}

async function show(): Promise<{ service: Service; upgrades: Upgrade[] }> {
  const r = await w.run(['service', 'show', 'db', '-w', w.ws, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.json();
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** The manifest digest the registry holds for `base:TAG` (as docker pushed it). */
async function digestOf(tag: string): Promise<string> {
  const ref = (await w.docker(['inspect', '-f', '{{index .RepoDigests 0}}', `${w.host}/${w.ws}/base:${tag}`])).trim();
  return ref.slice(ref.indexOf('@') + 1);
}

beforeAll(async () => {
  w = await deployWorld({ workspace: 'upg' });
  ok(await apiClient(w.server.url, w.server.adminToken).post(`/api/v1/workspaces/${w.ws}/projects`, { name: 'pgapp' }));
  await pushNodeBase(w.docker, `${w.host}/${w.ws}/base:node`);
  await pushPostgresImage(w.docker, `${w.host}/${w.ws}/base:pg-a`, { variant: 1 });
  await pushPostgresImage(w.docker, `${w.host}/${w.ws}/base:pg-b`, { variant: 2 });
  await pushPostgresImage(w.docker, `${w.host}/${w.ws}/base:pg-broken`, { broken: true });
  const archive = await buildServiceApp(tempDir('slipway-pgapp-'));
  const built = await w.run(['build', archive, '-w', w.ws, '-p', 'pgapp', '--runtime', 'node', '--version', '1.0.0', '--base', `${w.host}/${w.ws}/base:node`, '--json']);
  if (built.code !== 0) throw new Error(`build failed: ${built.stderr}`);
  for (const tag of ['pg-a', 'pg-b', 'pg-broken']) digests[tag] = await digestOf(tag);
}, 400_000);

afterAll(async () => {
  await w?.dispose();
  if (db?.provisioned?.volume) await w.docker(['volume', 'rm', '-f', db.provisioned.volume]).catch(() => undefined);
  if (db?.provisioned?.network) await w.docker(['network', 'rm', db.provisioned.network]).catch(() => undefined);
  await cleanup();
}, 120_000);

describe('upgrading a provisioned service', () => {
  it('runs pg-a with dev and prod attached, each with data of its own', async () => {
    expect(new Set(Object.values(digests)).size).toBe(3);
    const r = await w.run(['service', 'create', 'db', '-w', w.ws, '--kind', 'postgres', '--image', 'base:pg-a', '--json']);
    expect(r.code, r.stderr).toBe(0);
    db = r.json<Service>();
    expect(db.provisioned?.imageDigest).toBe(digests['pg-a']);
    expect(db.provisioned?.upgradedAt).toBeNull();
    for (const env of ['dev', 'prod']) {
      expect((await w.run(['service', 'attach', 'db', '-w', w.ws, '-p', 'pgapp', '-e', env, '--json'])).code).toBe(0);
      const d = await w.run(['deploy', '-w', w.ws, '-p', 'pgapp', '-e', env, '--version', '1.0.0', '--skip-approval', '--json']);
      expect(d.code, d.stderr).toBe(0);
      expect(await app(env, `/pg/write?v=${env}-before-upgrade`)).toBe('ok');
    }
  });

  it('backs up every attachment, then replaces the image on the same volume: the data is there and both environments keep working', async () => {
    const started = Date.now();
    const u = await w.run(['service', 'upgrade', 'db', '-w', w.ws, '--image', 'base:pg-b', '--json']);
    const wallMs = Date.now() - started;
    expect(u.code, u.stderr).toBe(0);
    const r = u.json<{ service: Service; upgrade: Upgrade; backups: Array<{ id: string; environment: string; size: number }>; downMs: number }>();
    console.log(`provisioned postgres upgrade: ${wallMs} ms wall (CLI), ${r.upgrade.durationMs} ms on the server, ${r.downMs} ms not ready`);
    expect(r.upgrade).toMatchObject({ status: 'succeeded', fromDigest: digests['pg-a'], toDigest: digests['pg-b'] });
    expect(r.backups.map((b) => b.environment).sort()).toEqual(['dev', 'prod']);
    expect(r.upgrade.backups.sort()).toEqual(r.backups.map((b) => b.id).sort());
    for (const b of r.backups) expect(b.size).toBeGreaterThan(0);
    expect(r.service.provisioned).toMatchObject({ imageDigest: digests['pg-b'], health: 'ready', volume: db.provisioned?.volume });
    expect(r.service.provisioned?.upgradedAt).not.toBeNull();
    for (const env of ['dev', 'prod']) {
      expect(await app(env, '/pg/read')).toBe(`${env}-before-upgrade`);
      expect(await app(env, `/pg/write?v=${env}-after-upgrade`)).toBe('ok');
      expect(await app(env, '/pg/read')).toBe(`${env}-after-upgrade`);
    }
    const [c] = JSON.parse(await w.docker(['inspect', `${db.provisioned?.network}-1`])) as Array<{ Config: { Labels: Record<string, string> }; Mounts: Array<{ Name?: string; Destination: string }> }>;
    expect(c!.Config.Labels['io.slipway.service-digest']).toBe(digests['pg-b']);
    expect(c!.Mounts).toContainEqual(expect.objectContaining({ Name: db.provisioned?.volume, Destination: '/var/lib/postgresql/data' }));
    const text = await w.run(['service', 'show', 'db', '-w', w.ws]);
    expect(text.stdout).toContain(`digest   ${digests['pg-b']} (upgraded `);
    expect(text.stdout).toContain('succeeded');
    // The backup taken first holds what was there before the upgrade.
    const dev = r.backups.find((b) => b.environment === 'dev')!;
    const listed = await w.run(['service', 'backups', 'db', '-w', w.ws, '-p', 'pgapp', '-e', 'dev', '--json']);
    expect(listed.json<{ backups: Array<{ id: string }> }>().backups.map((b) => b.id)).toContain(dev.id);
    const restored = await w.run(['service', 'restore', 'db', '-w', w.ws, '-p', 'pgapp', '-e', 'dev', '--from', dev.id, '--json']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await app('dev', '/pg/read')).toBe('dev-before-upgrade');
  });

  it('rolls an unhealthy image back: the previous one runs again and answers', async () => {
    const u = await w.run(['service', 'upgrade', 'db', '-w', w.ws, '--image', 'base:pg-broken', '--json']);
    expect(u.code).not.toBe(0);
    const error = code(u);
    expect(error.code).toBe('SLW_SERVICE_UPGRADE_FAILED');
    expect(error.message).toContain(`rolled back: the previous image ${digests['pg-b']} runs again`);
    const s = await show();
    expect(s.service.provisioned).toMatchObject({ imageDigest: digests['pg-b'], health: 'ready' });
    expect(s.upgrades.map((x) => x.status)).toEqual(['rolled-back', 'succeeded']);
    expect(s.upgrades[0]).toMatchObject({ fromDigest: digests['pg-b'], toDigest: digests['pg-broken'] });
    expect(s.upgrades[0]?.backups.length).toBe(2);
    expect(await app('prod', '/pg/read')).toBe('prod-after-upgrade');
    expect(await app('dev', `/pg/write?v=after-rollback`)).toBe('ok');
    expect(await app('dev', '/pg/read')).toBe('after-rollback');
    const audit = await w.run(['audit', '-w', w.ws, '--json', '--limit', '200']);
    const upgrades = audit.json<{ events: Array<{ action: string; details: { status?: string } }> }>().events.filter((e) => e.action === 'service.upgrade');
    expect(upgrades.map((e) => e.details.status).sort()).toEqual(['rolled-back', 'succeeded']);
  }, 240_000);

  it('refuses the digest it runs, and a second upgrade while one runs', async () => {
    expect(code(await w.run(['service', 'upgrade', 'db', '-w', w.ws, '--image', 'base:pg-b', '--json'])).code).toBe('SLW_VALIDATION');
    expect(code(await w.run(['service', 'upgrade', 'db', '-w', w.ws, '--image', 'base:nope', '--json'])).code).toBe('SLW_IMAGE_NOT_FOUND');
    expect(code(await w.run(['service', 'upgrade', 'db', '-w', w.ws, '--image', 'base:pg-a', '--without-backup', '--json'])).code).toBe('SLW_VALIDATION');
    // The broken image's upgrade runs for a few seconds (it is judged failed, then rolled back): long enough to try a second one.
    const first = w.run(['service', 'upgrade', 'db', '-w', w.ws, '--image', 'base:pg-broken', '--json']);
    await until('the first upgrade runs', async () => (await show()).upgrades[0]?.status === 'running');
    expect(code(await w.run(['service', 'upgrade', 'db', '-w', w.ws, '--image', 'base:pg-a', '--json'])).code).toBe('SLW_SERVICE_BUSY');
    expect(code(await first).code).toBe('SLW_SERVICE_UPGRADE_FAILED');
    expect((await show()).service.provisioned?.imageDigest).toBe(digests['pg-b']);
  }, 240_000);

  it('a server killed during an upgrade: the next one puts the stored image back', async () => {
    const pending = w.run(['service', 'upgrade', 'db', '-w', w.ws, '--image', 'base:pg-broken', '--json']);
    const container = `${db.provisioned?.network}-1`;
    // Kill it once the broken image's container was made: the previous one is gone by then.
    await until('the broken image was started', async () => (await w.docker(['inspect', '-f', '{{index .Config.Labels "io.slipway.service-digest"}}', container]).catch(() => '')).trim() === digests['pg-broken']);
    await w.server.kill9();
    await pending.catch(() => undefined);
    await w.restart();
    await until('the upgrade is marked interrupted', async () => (await show()).upgrades[0]?.status === 'interrupted');
    await until('the stored image is ready again', async () => (await show()).service.provisioned?.health === 'ready');
    const s = await show();
    expect(s.service.provisioned?.imageDigest).toBe(digests['pg-b']);
    expect(s.upgrades[0]?.message).toContain(`the stored image ${digests['pg-b']} was put back`);
    expect((await w.docker(['inspect', '-f', '{{index .Config.Labels "io.slipway.service-digest"}}', container])).trim()).toBe(digests['pg-b']);
    expect(await app('prod', '/pg/read')).toBe('prod-after-upgrade');
    const audit = await w.run(['audit', '-w', w.ws, '--json', '--limit', '200']);
    expect(audit.json<{ events: Array<{ action: string; details: { status?: string } }> }>().events.some((e) => e.action === 'service.upgrade' && e.details.status === 'interrupted')).toBe(true);
  }, 240_000);
});
