/**
 * Git pushes to branch environments on real parts: a git server (git http-backend) whose pushes
 * fire signed webhooks the way the forge would (GitHub for the static site, Gitea for the Node
 * app), the server building each commit from the linked git source, Docker and Caddy serving.
 * Push to main → dev; push to feature/x → a branch environment on its own domain; delete the
 * branch → the environment, its containers and its route are gone.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viaProxy } from '../support/deploy.js';
import { gitPushWorld, type PushWorld } from '../support/git-push.js';
import type { GitWorkdir } from '../support/git-server.js';
import { cleanup, type CliResult } from '../support/server-process.js';

const ws = 'pushes';
let world: PushWorld;
let proxyPort: number;
let host: string;

const run = (args: string[], input?: string): Promise<CliResult> => world.run(args, input);
const domain = (env: string, project: string) => `${env}.${project}.${ws}.localhost`;

async function settledAll(project: string, timeoutMs = 240_000): Promise<Array<{ id: string; status: string; message: string | null; ref: string | null }>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await run(['git', 'deliveries', '-w', ws, '-p', project, '--json']);
    const list = r.json<{ deliveries: Array<{ id: string; status: string; message: string | null; ref: string | null }> }>().deliveries;
    if (list.every((d) => !['received', 'processing'].includes(d.status))) return list;
    if (Date.now() > until) throw new Error(`deliveries still pending: ${JSON.stringify(list)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function answers(d: string, want: string, timeoutMs = 240_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await viaProxy(proxyPort, d).catch((error: Error) => ({ status: 0, body: error.message }));
    if (r.status === 200 && r.body.includes(want)) return;
    if (Date.now() > until) throw new Error(`${d} answered ${r.status} ${r.body.slice(0, 200)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function environments(project: string): Promise<Array<{ id: string; name: string; kind: string }>> {
  const r = await run(['env', 'list', '-w', ws, '-p', project, '--json']);
  return r.json<{ environments: Array<{ id: string; name: string; kind: string }> }>().environments;
}

function containersOf(environmentId: string): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=io.slipway.environment-id=${environmentId}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

async function gone(project: string, env: { id: string; name: string }): Promise<void> {
  expect((await environments(project)).some((e) => e.name === env.name)).toBe(false);
  const until = Date.now() + 60_000;
  while (containersOf(env.id).length > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 500));
  expect(containersOf(env.id)).toEqual([]);
  expect((await viaProxy(proxyPort, domain(env.name, project))).status).toBe(404);
}

beforeAll(async () => {
  world = await gitPushWorld(ws, 'slipway-pushes-');
  ({ proxyPort, host } = world);
}, 600_000);

afterAll(async () => {
  await world?.dispose();
  await cleanup();
});

describe('git push → environments (GitHub webhooks, static site)', () => {
  let work: GitWorkdir;

  it('push to main builds and deploys dev', async () => {
    work = await world.link('site', 'github', { 'index.html': '<h1>main one</h1>\n' }, ['--runtime', 'static', '--base', `${host}/${ws}/base:static`], 'first');
    await work.push('main');
    const [d] = await settledAll('site');
    expect(d?.status, d?.message ?? '').toBe('processed');
    await answers(domain('dev', 'site'), 'main one');
  }, 300_000);

  it('push to feature/x makes a branch environment that answers on its domain; a second push rolls it', async () => {
    await work.checkout('feature/x');
    await work.commit({ 'index.html': '<h1>feature one</h1>\n' });
    await work.push();
    const list = await settledAll('site');
    expect(list[0]?.status, list[0]?.message ?? '').toBe('processed');
    const env = (await environments('site')).find((e) => e.kind === 'branch');
    expect(env?.name).toMatch(/^feature-x-[0-9a-f]{8}$/);
    await answers(domain(env!.name, 'site'), 'feature one');
    await work.commit({ 'index.html': '<h1>feature two</h1>\n' });
    await work.push();
    expect((await settledAll('site'))[0]?.status).toBe('processed');
    await answers(domain(env!.name, 'site'), 'feature two');
    // dev still runs main.
    expect((await viaProxy(proxyPort, domain('dev', 'site'))).body).toContain('main one');
  }, 300_000);

  it('deleting the branch removes the environment, its containers and its route', async () => {
    const env = (await environments('site')).find((e) => e.kind === 'branch')!;
    expect(containersOf(env.id).length).toBeGreaterThan(0);
    await work.deleteBranch('feature/x');
    const list = await settledAll('site');
    expect(list.slice(0, 2).map((d) => d.status).sort()).toEqual(['ignored', 'processed']);
    await gone('site', env);
  }, 300_000);
});

describe('git push → environments (Gitea webhooks, Node app)', () => {
  it('a branch environment from a push, removed by the branch deletion Gitea announces with a delete event', async () => {
    const work = await world.link(
      'nodeapp',
      'gitea',
      {
        'package.json': JSON.stringify({ name: 'app', version: '1.0.0', scripts: { start: 'node server.js' } }),
        'server.js': "require('node:http').createServer((q, s) => s.end('node ' + require('./msg.json').text + '\\n')).listen(Number(process.env.PORT ?? 8080));\nprocess.on('SIGTERM', () => process.exit(0));\n",
        'msg.json': JSON.stringify({ text: 'main' }),
      },
      ['--base', `${host}/${ws}/base:node`],
      'first',
    );
    await work.push('main');
    await work.checkout('feature/n');
    await work.commit({ 'msg.json': JSON.stringify({ text: 'feature' }) });
    await work.push();
    const list = await settledAll('nodeapp');
    expect(list.map((d) => d.status), JSON.stringify(list)).toEqual(['processed', 'processed']);
    const env = (await environments('nodeapp')).find((e) => e.kind === 'branch')!;
    await answers(domain(env.name, 'nodeapp'), 'node feature');
    await answers(domain('dev', 'nodeapp'), 'node main');
    await work.deleteBranch('feature/n');
    expect((await settledAll('nodeapp'))[0]).toMatchObject({ status: 'processed', ref: 'feature/n' });
    await gone('nodeapp', env);
  }, 400_000);
});
