/**
 * Git push → branch environment answering (the webhook half of bench/git.ts, which times the
 * builds): for a static site and a Node app linked from a git server, the wall time from the
 * start of `git push` to the branch environment's domain answering the new content through
 * Caddy — the forge's signed webhook (GitHub's push event, sent as the git server's push
 * returns), the delivery stored and processed, the commit fetched and built, the environment made
 * (first push of a branch) or rolled (a later push), the container ready, the route switched.
 *
 * Two rows per app: `--pushes` new branches (`feature/b<i>`: the environment is created), and
 * `--pushes` new commits to one branch (rolling update of its environment), each pushed once the
 * previous deploy has ended. p50 and p95. Side by side in the same run, the peer: the same app
 * built by `docker build` from its Dockerfile (FROM the same base, classic builder, the base in
 * the engine already) and started with `docker run`, timed until it answers the new content on a
 * published loopback port (no git, no webhook, no registry, no proxy: the floor of a local build
 * and start).
 *
 * Set-up: `slipway server --proxy-listen … --allow-git-host 127.0.0.1` on loopback, the test git
 * server (git http-backend), a static base and a Node base pushed into Slipway, each project
 * linked (`--branch-envs 'feature/*'`) with a GitHub hook.
 *
 *   npm run build
 *   npx tsx bench/git-push.ts [--pushes 10] [--write docs/benchmarks.md]
 *
 * Needs Docker, Caddy and git. Everything it starts it stops, even on failure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { viaProxy } from '../test/support/deploy.js';
import { gitPushWorld, type PushWorld } from '../test/support/git-push.js';
import type { GitWorkdir } from '../test/support/git-server.js';
import { cleanup } from '../test/support/server-process.js';
import { freePort, percentile, runBench, writeSection } from './support.js';

const { values: args } = parseArgs({ options: { pushes: { type: 'string', default: '10' }, write: { type: 'string' } } });
const pushes = Number(args.pushes);
if (!Number.isInteger(pushes) || pushes < 2) throw new Error('--pushes takes an integer of at least 2');
const root = resolve(import.meta.dirname, '..');
const ws = 'benchpush';

let world: PushWorld | undefined;
let proxyPort = 0;

async function run(argv: string[], input?: string): Promise<string> {
  const r = await world!.run(argv, input);
  if (r.code !== 0) throw new Error(`slipway ${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function teardown(): Promise<void> {
  await world?.dispose();
  await cleanup();
}

/** Pushes, then polls the domain (every 50 ms) until it answers `want`; returns the seconds. */
async function timedPush(work: GitWorkdir, branch: string, project: string, want: string, domainOf: () => Promise<string>): Promise<number> {
  const t = performance.now();
  await work.push(branch);
  const domain = await domainOf();
  for (;;) {
    const r = await viaProxy(proxyPort, domain).catch(() => ({ status: 0, body: '' }));
    if (r.status === 200 && r.body.includes(want)) return (performance.now() - t) / 1000;
    if (performance.now() - t > 300_000) throw new Error(`${project} ${branch}: ${domain} never answered ${want}`);
    await new Promise((r2) => setTimeout(r2, 50));
  }
}

/** The domain of the branch environment of `branch` (polls the hook's environment list until it exists). */
async function branchDomain(project: string, branch: string): Promise<string> {
  for (;;) {
    const s = JSON.parse(await run(['git', 'hook', '-w', ws, '-p', project, '--json'])) as { environments: Array<{ name: string; ref: string }> };
    const env = s.environments.find((e) => e.ref === branch);
    if (env) return `${env.name}.${project}.${ws}.localhost`;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until no deploy of the project runs: a rolling deploy ends after the old replica has
 * stopped (the static base's busybox httpd, PID 1, ignores SIGTERM: 10 s until it is killed), and
 * a push meanwhile would first wait for that (the row would time the previous stop, not the push).
 */
async function settled(project: string): Promise<void> {
  for (;;) {
    const s = JSON.parse(await run(['status', '-w', ws, '-p', project, '--json'])) as { environments: Array<{ deploying: unknown }> };
    if (s.environments.every((e) => !e.deploying)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface App {
  project: string;
  files: (text: string) => Record<string, string>;
  link: string[];
  /** The app's Dockerfile (FROM the same base Slipway builds on). */
  dockerfile: string;
}

/** `docker build` of the app's Dockerfile with new content, `docker run`, until it answers `want` on a loopback port; seconds. */
async function dockerRound(docker: (args: string[], input?: string) => Promise<string>, dir: string, app: App, i: number): Promise<number> {
  const ctx = join(dir, `${app.project}-${i}`);
  mkdirSync(ctx, { recursive: true });
  const want = `docker ${i}`;
  for (const [name, content] of Object.entries({ ...app.files(want), Dockerfile: app.dockerfile })) writeFileSync(join(ctx, name), content);
  const port = await freePort();
  const tag = `slipway-bench-push/${app.project}:${i}`;
  const t = performance.now();
  await docker(['build', '-q', '-t', tag, ctx]);
  const id = (await docker(['run', '-d', '-p', `127.0.0.1:${port}:8080`, '-e', 'PORT=8080', tag])).trim();
  try {
    for (;;) {
      const body = await fetch(`http://127.0.0.1:${port}/`).then((r) => (r.ok ? r.text() : ''), () => '');
      if (body.includes(want)) return (performance.now() - t) / 1000;
      if (performance.now() - t > 120_000) throw new Error(`docker run of ${tag} never answered`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await docker(['rm', '-f', id]).catch(() => undefined);
    await docker(['rmi', '-f', tag]).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const w = (world = await gitPushWorld(ws, 'slipway-bench-push-'));
  ({ proxyPort } = w);
  const { host, docker, work } = w;
  const apps: App[] = [
    {
      project: 'site',
      files: (text) => ({ 'index.html': `<h1>${text}</h1>\n` }),
      link: ['--runtime', 'static', '--base', `${host}/${ws}/base:static`],
      dockerfile: `FROM ${host}/${ws}/base:static\nCOPY index.html /usr/share/nginx/html/index.html\n`,
    },
    {
      project: 'nodeapp',
      files: (text) => ({
        'package.json': JSON.stringify({ name: 'app', version: '1.0.0', scripts: { start: 'node server.js' } }),
        'server.js': `require('node:http').createServer((q, s) => s.end(${JSON.stringify(`${text}\n`)})).listen(Number(process.env.PORT ?? 8080));\nprocess.on('SIGTERM', () => process.exit(0));\n`,
      }),
      link: ['--base', `${host}/${ws}/base:node`],
      dockerfile: `FROM ${host}/${ws}/base:node\nWORKDIR /app\nCOPY package.json server.js /app/\nCMD ["node", "server.js"]\n`,
    },
  ];
  const rows: string[] = [];
  for (const app of apps) {
    const repo = await w.link(app.project, 'github', app.files('main'), app.link);
    await timedPush(repo, 'main', app.project, 'main', async () => `dev.${app.project}.${ws}.localhost`);
    const created: number[] = [];
    for (let i = 0; i < pushes; i++) {
      const branch = `feature/b${i}`;
      await repo.checkout(branch);
      await repo.commit(app.files(`new ${i}`));
      created.push(await timedPush(repo, branch, app.project, `new ${i}`, () => branchDomain(app.project, branch)));
      await repo.checkout('main');
    }
    const rolled: number[] = [];
    await repo.checkout('feature/b0');
    const domain = await branchDomain(app.project, 'feature/b0');
    for (let i = 0; i < pushes; i++) {
      await repo.commit(app.files(`update ${i}`));
      await settled(app.project);
      rolled.push(await timedPush(repo, 'feature/b0', app.project, `update ${i}`, async () => domain));
    }
    const peer: number[] = [];
    for (let i = 0; i < pushes; i++) peer.push(await dockerRound(docker, work, app, i));
    const fmt = (v: number[]) => `${percentile(v, 50).toFixed(2)} s | ${percentile(v, 95).toFixed(2)} s`;
    const ratio = (v: number[]) => `${(percentile(v, 50) / percentile(peer, 50)).toFixed(2)}×`;
    const name = app.project === 'site' ? 'static site' : 'Node app';
    rows.push(`| ${name}: push of a new branch (environment created) | ${pushes} | ${fmt(created)} | ${ratio(created)} |`);
    rows.push(`| ${name}: push to the branch (rolling update, previous deploy ended) | ${pushes} | ${fmt(rolled)} | ${ratio(rolled)} |`);
    rows.push(`| ${name}: \`docker build\` of its Dockerfile + \`docker run\` → answering (peer) | ${pushes} | ${fmt(peer)} | 1.00× |`);
    console.log(rows.slice(-3).join('\n'));
  }
  const text = [
    `Command: \`npx tsx bench/git-push.ts --pushes ${pushes}${args.write ? ` --write ${args.write}` : ''}\`. Wall time from the start of \`git push\` to the branch environment's domain answering the pushed content through Caddy (polled every 50 ms): the git server sends GitHub's signed push event as the push returns; Slipway verifies and stores it, then fetches the commit, builds it (daemonless builder), makes or rolls the branch environment (rolling update: new container ready, route switched). The peer, in the same run: the same app built by \`docker build\` from its Dockerfile (FROM the same base, classic builder) and started by \`docker run\`, until it answers the new content on a loopback port (no git, webhook, registry or proxy). Server, Caddy, Docker, git server and client on one machine (${cpus().length} cores, load ${loadavg()[0]?.toFixed(2)} at the end).`,
    '',
    '| what | pushes | p50 | p95 | p50 ÷ docker p50 |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  console.log(`\n${text}`);
  if (args.write) writeSection(resolve(root, args.write), 'git-push', 'Git push → branch environment answering (webhooks)', text);
}

runBench(main, teardown);
