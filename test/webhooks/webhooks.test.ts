/**
 * Webhooks end to end on the real server, Docker engine and Caddy: deliveries built from each
 * provider's documented payloads and signed as each signs them. The project's hook deploys the
 * images "CI" pushed for each commit (`--from image`: the tag git-<12 hex>, built here with
 * `slipway build` of a static site): a push to main deploys dev; a push to feature/x makes a
 * branch environment answering on its own domain through the edge; deleting the branch removes
 * it with its containers and route; a pull request makes a preview environment, closing it
 * removes it; a replay does it again. Bad signatures, unknown hooks, unknown events, malformed
 * payloads and repeated delivery ids each get a clear answer, and nothing is deployed for them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, type Api } from '../support/api.js';
import { freePort, proxyPid, viaProxy } from '../support/deploy.js';
import { buildSite, dockerClient, pushBase } from '../support/images.js';
import { cleanup, cli, startServerProcess, tempDir, type CliResult, type ServerProcess } from '../support/server-process.js';
import { deletePayload, delivery, pullRequestPayload, pushPayload, send, zeroSha } from '../support/webhook-sender.js';

const ws = 'hooks';
let server: ServerProcess;
let proxyPort: number;
let admin: Api;
let docker: ReturnType<typeof dockerClient>;
let work: string;
let host: string;
let hook: { url: string; secret: string };

const run = (args: string[]): Promise<CliResult> => cli(args, { server: server.url, token: server.adminToken });
const sha = (text: string) => createHash('sha1').update(text).digest('hex');
const domain = (env: string, project = 'site') => `${env}.${project}.${ws}.localhost`;

interface Delivery {
  id: string;
  status: string;
  message: string | null;
  event: string | null;
  duplicates: number;
  attempts: number;
}

async function deliveries(project = 'site'): Promise<Delivery[]> {
  const r = await run(['git', 'deliveries', '-w', ws, '-p', project, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.json<{ deliveries: Delivery[] }>().deliveries;
}

/** Waits until the delivery has been processed (or failed, or ignored) and returns it. */
async function settled(id: string, timeoutMs = 120_000): Promise<Delivery> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const d = (await deliveries()).find((x) => x.id === id);
    if (d && !['received', 'processing'].includes(d.status)) return d;
    if (Date.now() > until) throw new Error(`delivery ${id} still ${d?.status}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Polls the domain through Caddy until `test` holds for its answer. */
async function answers(host: string, test: (r: { status: number; body: string }) => boolean, timeoutMs = 120_000): Promise<{ status: number; body: string }> {
  const until = Date.now() + timeoutMs;
  let last: { status: number; body: string } = { status: 0, body: '' };
  for (;;) {
    last = await viaProxy(proxyPort, host).catch((error: Error) => ({ status: 0, body: error.message }));
    if (test(last)) return last;
    if (Date.now() > until) {
      const status = await run(['status', '-w', ws, '-p', 'site', '--json']);
      throw new Error(`${host} answered ${last.status} ${last.body.slice(0, 200)}; status: ${status.stdout}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** "CI": builds the commit's static site and pushes it as the tag git-<12 hex>. */
async function ciBuild(commit: string, text: string): Promise<void> {
  const site = await buildSite(join(work, commit), text);
  const r = await run(['build', site, '-w', ws, '-p', 'site', '--version', `git-${commit.slice(0, 12)}`, '--runtime', 'static', '--base', `${host}/${ws}/base:static`, '--json']);
  expect(r.code, r.stderr).toBe(0);
}

async function environments(): Promise<Array<{ name: string; kind: string }>> {
  const r = await run(['env', 'list', '-w', ws, '-p', 'site', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.json<{ environments: Array<{ name: string; kind: string }> }>().environments;
}

async function releasesOf(env: string): Promise<number> {
  const r = await admin.get(`/api/v1/workspaces/${ws}/projects/site/environments/${env}/releases`);
  return r.status === 200 ? (r.json as { releases: unknown[] }).releases.length : -1;
}

function containersOf(environmentId: string): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=io.slipway.environment-id=${environmentId}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

beforeAll(async () => {
  proxyPort = await freePort();
  server = await startServerProcess({ args: ['--proxy-listen', `127.0.0.1:${proxyPort}`] });
  host = new URL(server.url).host;
  work = tempDir('slipway-hooks-');
  mkdirSync(join(work, 'docker'));
  docker = dockerClient(join(work, 'docker'));
  admin = apiClient(server.url, server.adminToken);
  await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' });
  for (const name of ['base', 'site', 'lab']) await admin.post(`/api/v1/workspaces/${ws}/projects`, { name });
  await docker(['login', host, '-u', 'ci', '--password-stdin'], server.adminToken);
  await pushBase(docker, 'static', `${host}/${ws}/base:static`);
  const made = await run(['git', 'hook', '-w', ws, '-p', 'site', '--provider', 'github', '--from', 'image', '--branch', 'main', '--branch-envs', 'feature/*', '--json']);
  expect(made.code, made.stderr).toBe(0);
  hook = made.json<{ url: string; secret: string }>();
}, 300_000);

afterAll(async () => {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=io.slipway.workspace=${ws}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  await server?.stop().catch(() => undefined);
  // Caddy runs detached and outlives the server: end the one of this data dir, by its pid.
  const caddy = await proxyPid(server.dataDir);
  if (caddy) process.kill(caddy, 'SIGTERM');
  for (const id of ids) execFileSync('docker', ['rm', '-f', id]);
  await cleanup();
});

describe('the hook', () => {
  it('prints its url and its secret once; showing it again never prints the secret', async () => {
    expect(hook.url).toMatch(new RegExp(`^http://${host.replace(/\./g, '\\.')}/hooks/hook_[A-Za-z0-9_-]{32}$`));
    expect(hook.secret).toMatch(/^[0-9a-f]{64}$/);
    const shown = await run(['git', 'hook', '-w', ws, '-p', 'site', '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toContain(hook.secret);
    expect(shown.json<{ url: string; hook: { source: string; branchEnvs: string[] } }>()).toMatchObject({ url: hook.url, hook: { source: 'image', branchEnvs: ['feature/*'] } });
    const again = await run(['git', 'hook', '-w', ws, '-p', 'site', '--provider', 'github', '--json']);
    expect(again.json<{ secret: string | null; created: boolean }>()).toMatchObject({ secret: null, created: false });
    const other = await run(['git', 'hook', '-w', ws, '-p', 'site', '--provider', 'gitlab', '--json']);
    expect(other.code).toBe(1);
    expect(other.json<{ error: { code: string } }>().error.code).toBe('SLW_WEBHOOK_PROVIDER');
  });
});

describe('refused and ignored deliveries', () => {
  it('a bad signature: 401, nothing stored, counted on the hook', async () => {
    const p = pushPayload('github', 'main', zeroSha, sha('never'));
    const r = await send(hook.url, delivery('github', p.event, p.payload, hook.secret, { sign: 'not the secret' }));
    expect(r.status).toBe(401);
    expect((r.body.error as { code: string }).code).toBe('SLW_WEBHOOK_SIGNATURE');
    const unsigned = delivery('github', p.event, p.payload, hook.secret);
    delete unsigned.headers['x-hub-signature-256'];
    expect((await send(hook.url, unsigned)).status).toBe(401);
    expect(await deliveries()).toEqual([]);
    const shown = await run(['git', 'hook', '-w', ws, '-p', 'site', '--json']);
    expect(shown.json<{ hook: { failedVerifications: number } }>().hook.failedVerifications).toBe(2);
    expect(server.logs()).not.toContain(JSON.stringify(p.payload).slice(0, 40));
  });

  it('an unknown hook: 404 with a clear error, whether or not the id is well formed', async () => {
    const p = pushPayload('github', 'main', zeroSha, sha('x'));
    for (const id of [`hook_${'A'.repeat(32)}`, 'nope']) {
      const r = await send(`${server.url}/hooks/${id}`, delivery('github', p.event, p.payload, hook.secret));
      expect(r.status).toBe(404);
      expect(r.body.error).toMatchObject({ code: 'SLW_WEBHOOK_NOT_FOUND', message: expect.stringContaining('slipway git hook') });
    }
  });

  it('an unknown event (ping) is acknowledged and ignored; a malformed payload is refused', async () => {
    const ping = await send(hook.url, delivery('github', 'ping', { zen: 'Keep it logically awesome.', hook_id: 1, hook: { type: 'Repository', events: ['push'] } }, hook.secret));
    expect(ping.status).toBe(202);
    expect(ping.body).toMatchObject({ status: 'ignored' });
    const bad = await send(hook.url, delivery('github', 'push', { ref: 'refs/heads/main' }, hook.secret));
    expect(bad.status).toBe(400);
    expect((bad.body.error as { code: string }).code).toBe('SLW_WEBHOOK_PAYLOAD');
    const list = await deliveries();
    expect(list.map((d) => [d.event, d.status])).toEqual([['ping', 'ignored']]);
  });

  it('GitLab tokens and Forgejo signatures are checked their way', async () => {
    const lab = await run(['git', 'hook', '-w', ws, '-p', 'lab', '--provider', 'gitlab', '--json']);
    const labHook = lab.json<{ url: string; secret: string }>();
    const p = { event: 'Issue Hook', payload: { object_kind: 'issue' } };
    expect((await send(labHook.url, delivery('gitlab', p.event, p.payload, labHook.secret))).status).toBe(202);
    expect((await send(labHook.url, delivery('gitlab', p.event, p.payload, labHook.secret, { sign: hook.secret }))).status).toBe(401);
    const gitea = await run(['git', 'hook', '-w', ws, '-p', 'lab', '--delete', '--json']);
    expect(gitea.code, gitea.stderr).toBe(0);
    expect((await send(labHook.url, delivery('gitlab', p.event, p.payload, labHook.secret))).status).toBe(404);
    const fj = (await run(['git', 'hook', '-w', ws, '-p', 'lab', '--provider', 'gitea', '--json'])).json<{ url: string; secret: string }>();
    expect((await send(fj.url, delivery('gitea', 'issues', { action: 'opened' }, fj.secret, { forgejo: true }))).status).toBe(202);
    expect((await send(fj.url, delivery('gitea', 'issues', { action: 'opened' }, fj.secret, { forgejo: true, sign: 'x' }))).status).toBe(401);
  });
});

describe('branch environments', () => {
  const main1 = sha('main-1');
  const feat1 = sha('feature-1');
  let pushId = '';

  it('a push to main deploys dev', async () => {
    await ciBuild(main1, 'main one');
    const p = pushPayload('github', 'main', zeroSha, main1);
    const r = await send(hook.url, delivery('github', p.event, p.payload, hook.secret));
    expect(r.status).toBe(202);
    const d = await settled(r.body.delivery as string);
    expect(d.status, d.message ?? '').toBe('processed');
    expect((await answers(domain('dev'), (a) => a.body.includes('main one'))).status).toBe(200);
  }, 180_000);

  it('a push to feature/x makes a branch environment that answers on its domain; the same delivery again deploys nothing', async () => {
    await ciBuild(feat1, 'feature one');
    const p = pushPayload('github', 'feature/x', zeroSha, feat1);
    const sent = delivery('github', p.event, p.payload, hook.secret);
    const r = await send(hook.url, sent);
    expect(r.status).toBe(202);
    pushId = r.body.delivery as string;
    const d = await settled(pushId);
    expect(d.status, d.message ?? '').toBe('processed');
    const env = (await environments()).find((e) => e.kind === 'branch');
    expect(env?.name).toMatch(/^feature-x-[0-9a-f]{8}$/);
    expect((await answers(domain(env!.name), (a) => a.body.includes('feature one'))).status).toBe(200);

    const before = await releasesOf(env!.name);
    const dup = await send(hook.url, sent);
    expect(dup.status).toBe(200);
    expect(dup.body).toMatchObject({ status: 'duplicate', delivery: pushId });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await releasesOf(env!.name)).toBe(before);
    expect((await deliveries()).find((x) => x.id === pushId)?.duplicates).toBe(1);
  }, 180_000);

  it('deleting the branch removes the environment, its containers and its route', async () => {
    const env = (await environments()).find((e) => e.kind === 'branch')!;
    const id = ((await admin.get(`/api/v1/workspaces/${ws}/projects/site/environments`)).json as { environments: Array<{ id: string; name: string }> }).environments.find((e) => e.name === env.name)!.id;
    expect(containersOf(id).length).toBeGreaterThan(0);
    const p = pushPayload('github', 'feature/x', feat1, zeroSha);
    const r = await send(hook.url, delivery('github', p.event, p.payload, hook.secret));
    const d = await settled(r.body.delivery as string);
    expect(d.status, d.message ?? '').toBe('processed');
    expect((await environments()).some((e) => e.name === env.name)).toBe(false);
    // The target removes containers in the background (stop with a grace period, then remove).
    const until = Date.now() + 60_000;
    while (containersOf(id).length > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 500));
    expect(containersOf(id)).toEqual([]);
    expect((await viaProxy(proxyPort, domain(env.name))).status).not.toBe(200);
    // GitHub also sends a `delete` event for the same branch: nothing left to do.
    const del = deletePayload('feature/x');
    const second = await settled((await send(hook.url, delivery('github', del.event, del.payload, hook.secret))).body.delivery as string);
    expect(second.status).toBe('ignored');
  }, 180_000);
});

describe('preview environments', () => {
  const head = sha('pr-7');
  let opened = '';

  it('an opened pull request makes pr-7, which answers; closing it removes it', async () => {
    await ciBuild(head, 'preview seven');
    const p = pullRequestPayload('github', 'opened', 7, 'feature/y', head);
    const r = await send(hook.url, delivery('github', p.event, p.payload, hook.secret));
    opened = r.body.delivery as string;
    const d = await settled(opened);
    expect(d.status, d.message ?? '').toBe('processed');
    expect((await environments()).find((e) => e.name === 'pr-7')?.kind).toBe('preview');
    expect((await answers(domain('pr-7'), (a) => a.body.includes('preview seven'))).status).toBe(200);
    const status = await run(['git', 'hook', '-w', ws, '-p', 'site', '--json']);
    expect(status.json<{ environments: Array<{ name: string; kind: string; expiresAt: string | null }> }>().environments).toEqual([expect.objectContaining({ name: 'pr-7', kind: 'preview', expiresAt: expect.any(String) })]);

    const c = pullRequestPayload('github', 'closed', 7, 'feature/y', head, { merged: true });
    const closed = await settled((await send(hook.url, delivery('github', c.event, c.payload, hook.secret))).body.delivery as string);
    expect(closed.status, closed.message ?? '').toBe('processed');
    expect((await environments()).some((e) => e.name === 'pr-7')).toBe(false);
    expect((await viaProxy(proxyPort, domain('pr-7'))).status).not.toBe(200);
  }, 180_000);

  it('replaying the opening delivery processes its stored body again', async () => {
    const r = await run(['git', 'deliveries', '-w', ws, '-p', 'site', '--replay', opened, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const d = await settled(opened);
    expect(d.status, d.message ?? '').toBe('processed');
    expect(d.attempts).toBe(2);
    expect((await answers(domain('pr-7'), (a) => a.body.includes('preview seven'))).status).toBe(200);
    const unknown = await run(['git', 'deliveries', '-w', ws, '-p', 'site', '--replay', 'dlv_nope', '--json']);
    expect(unknown.json<{ error: { code: string } }>().error.code).toBe('SLW_NOT_FOUND');
  }, 180_000);
});
