/**
 * Herd upgrades at scale (issue 15), in two parts (`--only store` or `--only real`; both by
 * default):
 *
 * 1. **Store**: an application with 10,000 stored sites (labels: region of 4, plan of 3, `broken`
 *    on 10), on the embedded SQLite store and on a fresh PostgreSQL database, in this process:
 *    (a) planning an upgrade with `planHerdUpgrade` (the sites read from the store included), for
 *    every site and for a selector; (b) `startHerdUpgrade` (the plan stored: a row per site, one
 *    transaction); (c) `upgradeView` of that 10,000-site upgrade (its status); (d) the herd
 *    runner's read of it half-way through (`upgradeSites`), beside a read of every site. Then the same
 *    through a real `slipway server` process on each engine: the plan (dry run), the start and
 *    `GET /api/v1/workspaces/{ws}/upgrades/{id}` over HTTP. Targets: a plan under 1 s, the status
 *    under 200 ms. The seeded sites have no workloads: every upgrade is stored with a `--window`
 *    that opens 12 hours later, so the server's herd runner starts none of them.
 * 2. **Real**: 30 sites of a Node app on the local Docker engine behind Caddy, each with its own
 *    database on the machine's PostgreSQL (attached through the services feature, rows written by
 *    the app), upgraded by a herd upgrade (canary 1, batches of 25 %, bake 0, the migration as the
 *    release step, passing on every site) at `--parallel` 1, 5 and 10, each to a new version;
 *    wall time from the API call to `succeeded`. The peer is what a user scripting it gets: the
 *    same 30 sites deployed one by one with `slipway deploy -a saas -e SITE --version V` in a loop
 *    (its release step runs, no backup, no bake).
 *
 *   npm run build && flock /tmp/slipway-e2e.lock npx tsx bench/herds.ts [--only store|real]
 *     [--sites 10000] [--runs 10] [--parallel 1,5,10] [--write docs/benchmarks.md]
 *
 * Needs PostgreSQL on 127.0.0.1:5432 (trust auth) and, for the real part, Docker and Caddy. It
 * stops by itself: every wait is bounded, and the whole run after 60 minutes.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { parseCron } from '../src/core/cron.js';
import { findUpgrade, planHerdUpgrade, startHerdUpgrade, upgradeView, type UpgradeInput } from '../src/herds/upgrades.js';
import { seedApplication, seedSites } from '../src/herds/test-support/seed.js';
import { upgradeSites } from '../src/herds/site-store.js';
import { nowIso } from '../src/platform/time.js';
import { openStore } from '../src/store/open.js';
import type { ApplicationsTable, Db } from '../src/store/schema.js';
import { engines, type Engine } from '../test/support/engines.js';
import { project, setupContext, workspace } from '../test/support/service-fixtures.js';
import { createTestDatabase } from '../test/support/postgres.js';
import { herdSites as names, herdWorld } from '../test/support/herd-world.js';
import { cleanup, startServerProcess, type ServerProcess } from '../test/support/server-process.js';
import { median, percentile, runBench, writeSection } from './support.js';

const { values: args } = parseArgs({
  options: { only: { type: 'string' }, sites: { type: 'string', default: '10000' }, runs: { type: 'string', default: '10' }, parallel: { type: 'string', default: '1,5,10' }, write: { type: 'string' } },
});
if (args.only !== undefined && args.only !== 'store' && args.only !== 'real') throw new Error('--only store or --only real');
const siteCount = Number(args.sites);
const runs = Math.max(1, Number(args.runs));
const parallels = args.parallel.split(',').map(Number).filter((n) => n > 0);
const command = ['npx', 'tsx', 'bench/herds.ts', ...process.argv.slice(2)].join(' ');
const log = (line: string) => process.stderr.write(`${line}\n`);
const checkWindow = (cron: string) => void parseCron(cron);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
const sec = (v: number) => `${(v / 1000).toFixed(1)} s`;
const machine = () => `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}`;
const today = () => nowIso().slice(0, 10);

/** A cron window that opens 12 hours from now: an upgrade stored with it starts no site during the bench. */
function closedWindow(): string {
  const now = new Date();
  return `${now.getUTCMinutes()} ${(now.getUTCHours() + 12) % 24} * * *`;
}

// ---------------------------------------------------------------------------------------------
// 1. Store
// ---------------------------------------------------------------------------------------------

const regions = ['eu', 'us', 'ap', 'sa'];
const plans = ['free', 'pro', 'enterprise'];
const labels = (i: number) => ({ region: regions[i % 4]!, plan: plans[i % 3]!, ...(i % 1000 === 7 ? { broken: 'yes' } : {}) });
const selector = 'region=eu|us,plan!=free,!broken';
const everySite: UpgradeInput = { to: '2.0.0', canary: 1, batch: '25%' };
const selected: UpgradeInput = { to: '2.0.0', sites: selector, canary: 10, batch: '5%', failureBudget: '1%' };

interface Stats {
  p50: number;
  p95: number;
  max: number;
}
const stats = (xs: number[]): Stats => ({ p50: median(xs), p95: percentile(xs, 95), max: Math.max(...xs) });
const fmt = (s: Stats) => `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.max)}`;

/** Runs `fn` `warm` times unmeasured, then `n` times measured. */
async function timed(n: number, fn: () => Promise<unknown>, warm = 2): Promise<number[]> {
  for (let i = 0; i < warm; i += 1) await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

interface StoreResult {
  seedMs: number;
  planAll: Stats;
  planAllWaves: number;
  planSelected: Stats;
  selectedSites: number;
  selectedWaves: number;
  start: Stats;
  status: Stats;
  /** The runner's reads of the upgrade half-way (canary and the first batch done, the second batch next): what it reads now, and every site as it read before. */
  runnerRead: { open: Stats; openRows: number; all: Stats };
  http: { plan: Stats; start: number; status: Stats; bytes: number; runnerNote: string };
}

/** An upgrade no longer holds the application (what the runner does once an aborted one has settled). */
async function settle(db: Db, id: string): Promise<void> {
  const at = nowIso();
  await db.updateTable('herd_upgrades').set({ state: 'aborted', reason: 'bench: settled', active_key: null, finished_at: at, updated_at: at }).where('id', '=', id).execute();
}

async function seed(db: Db, app: ApplicationsTable, engine: Engine): Promise<number> {
  const t0 = performance.now();
  await seedSites(db, app, { count: siteCount, version: '1.0.0', digest: `sha256:${'0'.repeat(64)}`, labels });
  const took = performance.now() - t0;
  // PostgreSQL's autovacuum analyzes tables after a bulk insert like this one; the bench does it
  // at once instead of waiting for it (SQLite plans without statistics).
  if (engine === 'postgres') await sql`analyze`.execute(db);
  return took;
}

async function storeInProcess(engine: Engine): Promise<Omit<StoreResult, 'http'>> {
  const ctx = await setupContext(engine);
  try {
    const access = await workspace(ctx, 'bench');
    const p = await project(ctx, access, 'saas');
    const app = await seedApplication(ctx.db, access.workspace.id, p.project.id, 'saas', ['1.0.0', '2.0.0']);
    const seedMs = await seed(ctx.db, app, engine);
    log(`${engine}: seeded ${siteCount} sites in ${ms(seedMs)}`);

    const all = await planHerdUpgrade(ctx.db, app, everySite, checkWindow);
    const sel = await planHerdUpgrade(ctx.db, app, selected, checkWindow);
    const count = (plan: typeof all.plan) => plan.waves.reduce((n, w) => n + w.sites.length, 0);
    if (count(all.plan) !== siteCount) throw new Error(`the plan of every site moves ${count(all.plan)} sites, not ${siteCount}`);
    const planAll = stats(await timed(runs, () => planHerdUpgrade(ctx.db, app, everySite, checkWindow)));
    const planSelected = stats(await timed(runs, () => planHerdUpgrade(ctx.db, app, selected, checkWindow)));
    log(`${engine}: plan every site p50 ${ms(planAll.p50)}, selector p50 ${ms(planSelected.p50)}`);

    // Each start stores a new upgrade of every site; the one before is settled first (as the
    // runner does once an aborted upgrade has nothing in flight), so the table grows by 10,000
    // rows a run, as it would over an application's life.
    const window = closedWindow();
    const startTimes: number[] = [];
    let lastId = '';
    for (let i = 0; i < runs + 1; i += 1) {
      if (lastId) await settle(ctx.db, lastId);
      const t0 = performance.now();
      const row = await startHerdUpgrade(ctx.db, access, app, { ...everySite, window }, 'manual', checkWindow);
      if (i > 0) startTimes.push(performance.now() - t0);
      lastId = row.id;
    }
    const view = await upgradeView(ctx.db, await findUpgrade(ctx.db, access, lastId));
    if (view.sites.length !== siteCount || view.waves.length !== all.plan.waves.length) throw new Error(`the status shows ${view.sites.length} sites in ${view.waves.length} waves`);
    const status = stats(await timed(runs * 2, async () => upgradeView(ctx.db, await findUpgrade(ctx.db, access, lastId)), 3));
    log(`${engine}: start p50 ${ms(median(startTimes))}, status p50 ${ms(status.p50)}`);
    // Half-way: the canary and the first batch done, the second batch next (its sites pending).
    await ctx.db.updateTable('herd_upgrade_sites').set({ step: 'done' }).where('upgrade_id', '=', lastId).where('wave', '<=', 1).execute();
    const openRows = (await upgradeSites(ctx.db, lastId, 'open')).length;
    const everyRow = () => ctx.db.selectFrom('herd_upgrade_sites as h').leftJoin('sites as s', 's.environment_id', 'h.environment_id').selectAll('h').select(['s.maintenance_window as site_window', 's.policy as policy']).where('h.upgrade_id', '=', lastId).orderBy('h.position').execute();
    const runnerRead = { open: stats(await timed(runs * 2, () => upgradeSites(ctx.db, lastId, 'open'), 3)), openRows, all: stats(await timed(runs * 2, everyRow, 3)) };
    log(`${engine}: runner read p50 ${ms(runnerRead.open.p50)} (${openRows} rows), every site ${ms(runnerRead.all.p50)}`);
    return { seedMs, planAll, planAllWaves: all.plan.waves.length, planSelected, selectedSites: count(sel.plan), selectedWaves: sel.plan.waves.length, start: stats(startTimes), status, runnerRead };
  } finally {
    await ctx.cleanup();
  }
}

async function http(server: ServerProcess, method: string, path: string, body?: unknown): Promise<{ text: string; ms: number }> {
  const t0 = performance.now();
  const r = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${server.adminToken}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  const took = performance.now() - t0;
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
  return { text, ms: took };
}

/** The same through a real server process on `engine`: sites seeded into its store from here, the rest over HTTP. */
async function storeOverHttp(engine: Engine): Promise<StoreResult['http']> {
  const pg = engine === 'postgres' ? await createTestDatabase() : undefined;
  let server: ServerProcess | undefined;
  try {
    server = await startServerProcess({ args: pg ? ['--database-url', pg.url] : [] });
    const s = server;
    await http(s, 'POST', '/api/v1/workspaces', { name: 'bench', tier: 'high' });
    await http(s, 'POST', '/api/v1/workspaces/bench/projects', { name: 'saas' });
    // The server's own store, opened beside it (SQLite: WAL and a busy timeout; PostgreSQL: a pool).
    const store = await openStore(pg ? { engine: 'postgres', url: pg.url } : { engine: 'sqlite', file: join(s.dataDir, 'slipway.db') });
    try {
      const ws = await store.db.selectFrom('workspaces').select('id').where('name', '=', 'bench').executeTakeFirstOrThrow();
      const proj = await store.db.selectFrom('projects').select('id').where('workspace_id', '=', ws.id).where('name', '=', 'saas').executeTakeFirstOrThrow();
      const app = await seedApplication(store.db, ws.id, proj.id, 'saas', ['1.0.0', '2.0.0']);
      await seed(store.db, app, engine);
    } finally {
      await store.close();
    }
    const base = '/api/v1/workspaces/bench/applications/saas/upgrades';
    const plan = stats(await timed(runs, () => http(s, 'POST', `${base}/plan`, selected)));
    const started = await http(s, 'POST', base, { ...everySite, window: closedWindow() });
    const id = (JSON.parse(started.text) as { id: string }).id;
    const first = await http(s, 'GET', `/api/v1/workspaces/bench/upgrades/${id}`);
    const view = JSON.parse(first.text) as { sites: unknown[]; state: string };
    if (view.sites.length !== siteCount) throw new Error(`GET upgrade answered ${view.sites.length} sites`);
    const statusTimes = await timed(runs * 2, () => http(s, 'GET', `/api/v1/workspaces/bench/upgrades/${id}`), 3);
    const after = JSON.parse((await http(s, 'GET', `/api/v1/workspaces/bench/upgrades/${id}`)).text) as { sites: Array<{ step: string }>; state: string };
    const moved = after.sites.filter((x) => x.step !== 'pending').length;
    if (moved > 0) throw new Error(`${moved} seeded sites were started by the runner`);
    log(`${engine} over HTTP: plan p50 ${ms(plan.p50)}, start ${ms(started.ms)}, status p50 ${ms(median(statusTimes))} (${first.text.length} bytes)`);
    return { plan, start: started.ms, status: stats(statusTimes), bytes: first.text.length, runnerNote: `${after.state}, ${moved} sites started` };
  } finally {
    await server?.stop().catch(() => undefined);
    await pg?.drop().catch(() => undefined);
  }
}

async function storePart(): Promise<string> {
  const load0 = loadavg()[0]!;
  const results = {} as Record<Engine, StoreResult>;
  for (const engine of engines) {
    const inProcess = await storeInProcess(engine);
    results[engine] = { ...inProcess, http: await storeOverHttp(engine) };
  }
  const s = results.sqlite;
  const p = results.postgres;
  const mark = (v: number, target: number) => (v < target ? 'met' : `**missed** (${ms(v)})`);
  const verdict = (pick: (r: StoreResult) => number, target: number) => `${mark(pick(s), target)} / ${mark(pick(p), target)}`;
  const n = siteCount.toLocaleString('en');
  return [
    `Measured ${today()} with \`${command}\` on ${machine()} (load average ${load0.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after). PostgreSQL 15 on the same machine.`,
    '',
    `${n} sites stored (labels: \`region\` of 4, \`plan\` of 3, \`broken=yes\` on ${Math.ceil(siteCount / 1000)}), each with one succeeded release of 1.0.0; upgrades to 2.0.0. p50 / p95 / max of ${runs} runs after 2 warm-ups (status: ${runs * 2} runs after 3). In process: the functions the API handlers call, on a store opened by the bench. Over HTTP: a \`slipway server\` process on each engine, the sites seeded into its store, requests from this process (body read in full). Every upgrade is stored with a \`--window\` that opens 12 hours later, so the server's herd runner starts no site (after the run: ${s.http.runnerNote} on SQLite, ${p.http.runnerNote} on PostgreSQL).`,
    '',
    `| ${n} sites | target | SQLite p50 / p95 / max | PostgreSQL p50 / p95 / max | target met (SQLite / PostgreSQL, p95) |`,
    '|---|---|---|---|---|',
    `| plan every site: canary 1, batches of 25 % (${s.planAllWaves} waves; sites read from the store, planned) | < 1 s | ${fmt(s.planAll)} | ${fmt(p.planAll)} | ${verdict((r) => r.planAll.p95, 1000)} |`,
    `| plan \`--sites ${selector.replaceAll('|', '\\|')}\` (${s.selectedSites.toLocaleString('en')} sites): canary 10, batches of 5 %, budget 1 % (${s.selectedWaves} waves) | < 1 s | ${fmt(s.planSelected)} | ${fmt(p.planSelected)} | ${verdict((r) => r.planSelected.p95, 1000)} |`,
    `| start: the plan of every site stored (${n} site rows + the upgrade + audit, one transaction) | — | ${fmt(s.start)} | ${fmt(p.start)} | |`,
    `| status of the ${n}-site upgrade (\`upgradeView\`: 2 queries, waves and every site's step) | < 200 ms | ${fmt(s.status)} | ${fmt(p.status)} | ${verdict((r) => r.status.p95, 200)} |`,
    `| the herd runner's read at each look (every 500 ms while sites are in flight) half-way through: the sites in flight and the next wave (${s.runnerRead.openRows.toLocaleString('en')} rows) | — | ${fmt(s.runnerRead.open)} | ${fmt(p.runnerRead.open)} | |`,
    `| … the same look reading every site, as the runner did before (${n} rows) | — | ${fmt(s.runnerRead.all)} | ${fmt(p.runnerRead.all)} | |`,
    `| HTTP: \`POST …/applications/saas/upgrades/plan\` (the selector above, dry run) | < 1 s | ${fmt(s.http.plan)} | ${fmt(p.http.plan)} | ${verdict((r) => r.http.plan.p95, 1000)} |`,
    `| HTTP: \`POST …/applications/saas/upgrades\` (every site, stored; once) | — | ${ms(s.http.start)} | ${ms(p.http.start)} | |`,
    `| HTTP: \`GET /api/v1/workspaces/bench/upgrades/{id}\` (${(s.http.bytes / 1e6).toFixed(1)} MB of JSON) | < 200 ms | ${fmt(s.http.status)} | ${fmt(p.http.status)} | ${verdict((r) => r.http.status.p95, 200)} |`,
    '',
    `Seeding the ${n} sites (environment, site and release rows, in batches of 500, one transaction): ${sec(s.seedMs)} on SQLite, ${sec(p.seedMs)} on PostgreSQL. The start rows run on a table that grows by ${n} rows a run (each earlier upgrade settled first), as over an application's life.`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// 2. Real: 30 sites on Docker, Caddy and PostgreSQL
// ---------------------------------------------------------------------------------------------

const versions = ['1.0.0', ...parallels.map((_, i) => `${i + 2}.0.0`)];
const loopVersion = `${versions.length + 1}.0.0`;
const herd = herdWorld({
  workspace: 'benchherd',
  args: ['--allow-service-host', '127.0.0.1'],
  role: `slwbench_herd_${process.pid}`,
  password: `bench-${process.pid}`,
  tempPrefix: 'slipway-bench-herd-',
  versions: [...versions, loopVersion],
});

interface UpgradeView {
  id: string;
  state: string;
  finishedAt: string | null;
  waves: Array<{ sites: number }>;
  sites: Array<{ site: string; step: string; error: string | null; startedAt: string | null; finishedAt: string | null }>;
}

interface RealRow {
  what: string;
  version: string;
  parallel: number;
  waves: number | null;
  wallMs: number;
  siteMeanMs: number | null;
  /** Mean per site, as the runner recorded the steps (it looks every 500 ms while sites are in flight). */
  phases: { backup: number; request: number; migrate: number; deploy: number } | null;
}

async function realPart(): Promise<string> {
  const load0 = loadavg()[0]!;
  await herd.setUp();
  log('real: 30 sites and their databases made, versions built');
  const w = herd.world;
  const ws = ['-w', w.ws];
  const { run, get } = herd;
  const api = (method: string, path: string, body?: unknown) => http(w.server, method, path, body).then((r) => JSON.parse(r.text) as UpgradeView);
  /** Every site answers `shop V` with its two rows (migrated from 2.0.0 on). */
  const verify = async (version: string) => {
    for (const name of names) {
      const body = await get(name);
      if (body !== `shop ${version}`) throw new Error(`${name} answers '${body}', not shop ${version}`);
      const rows = JSON.parse(await get(name, '/rows')) as Array<{ v: string; note?: string }>;
      const want = [`${name}-first`, `${name}-second`];
      if (rows.map((r) => r.v).join() !== want.join() || (version !== '1.0.0' && rows.some((r) => r.note !== 'migrated to 2'))) throw new Error(`${name}: rows ${JSON.stringify(rows)}`);
    }
  };
  /** A herd upgrade through the API, polled every 200 ms until it ends (bounded). */
  const upgrade = async (body: Record<string, unknown>, timeoutMs: number): Promise<{ view: UpgradeView; wallMs: number }> => {
    const t0 = performance.now();
    const started = await api('POST', `/api/v1/workspaces/${w.ws}/applications/saas/upgrades`, body);
    for (;;) {
      const view = await api('GET', `/api/v1/workspaces/${w.ws}/upgrades/${started.id}`);
      if (view.finishedAt !== null || view.state !== 'running') {
        const wallMs = performance.now() - t0;
        if (view.state !== 'succeeded') throw new Error(`upgrade ${view.id} ${view.state}: ${JSON.stringify(view.sites.filter((s) => s.step !== 'done'))}`);
        return { view, wallMs };
      }
      if (performance.now() - t0 > timeoutMs) throw new Error(`upgrade ${started.id} still ${view.state} after ${timeoutMs / 1000} s`);
      await sleep(200);
    }
  };

  /** Where each site's time went, from its step log: backup, deploy requested, migration passed, done. */
  const phases = async (view: UpgradeView): Promise<RealRow['phases']> => {
    const sum = { backup: 0, request: 0, migrate: 0, deploy: 0 };
    for (const site of view.sites) {
      const r = await http(w.server, 'GET', `/api/v1/workspaces/${w.ws}/upgrades/${view.id}/sites/${site.site}/events`);
      const events = (JSON.parse(r.text) as { events: Array<{ at: string; step: string; message: string }> }).events;
      const at = (test: (e: { step: string; message: string }) => boolean) => {
        const e = events.find(test);
        if (!e) throw new Error(`${site.site}: no such event in ${JSON.stringify(events)}`);
        return Date.parse(e.at);
      };
      const start = at(() => true);
      const backedUp = at((e) => e.message.startsWith('backed up'));
      const requested = at((e) => e.message.startsWith('deploying'));
      const migrated = at((e) => e.step === 'deploy');
      const done = at((e) => e.step === 'done');
      sum.backup += backedUp - start;
      sum.request += requested - backedUp;
      sum.migrate += migrated - requested;
      sum.deploy += done - migrated;
    }
    const n = view.sites.length;
    return { backup: sum.backup / n, request: sum.request / n, migrate: sum.migrate / n, deploy: sum.deploy / n };
  };

  // Every site to 1.0.0 (their first deploy, itself a herd upgrade; not measured), then two rows each written by the app.
  const first = await upgrade({ to: '1.0.0', canary: 0, batch: '100%', parallel: 10, bake: '0' }, 900_000);
  log(`real: first deploy of 30 sites (parallel 10) in ${sec(first.wallMs)}`);
  await herd.writeRows();
  await verify('1.0.0');

  const rows: RealRow[] = [];
  for (const [i, parallel] of parallels.entries()) {
    const version = versions[i + 1]!;
    const { view, wallMs } = await upgrade({ to: version, canary: 1, batch: '25%', parallel, bake: '0', failureBudget: '0' }, 1_200_000);
    const durations = view.sites.filter((s) => s.startedAt && s.finishedAt).map((s) => Date.parse(s.finishedAt!) - Date.parse(s.startedAt!));
    await verify(version);
    rows.push({ what: `herd upgrade, \`--parallel ${parallel}\``, version, parallel, waves: view.waves.length, wallMs, siteMeanMs: durations.reduce((a, b) => a + b, 0) / durations.length, phases: await phases(view) });
    log(`real: herd upgrade to ${version} at parallel ${parallel}: ${sec(wallMs)}`);
  }
  // The peer: a loop of `slipway deploy`, one site after the other (each follows its deploy to the end).
  const loopTimes: number[] = [];
  const t0 = performance.now();
  for (const name of names) {
    const t = performance.now();
    await run(['deploy', '-a', 'saas', '-e', name, '--version', loopVersion, ...ws]);
    loopTimes.push(performance.now() - t);
  }
  const loopWall = performance.now() - t0;
  await verify(loopVersion);
  log(`real: loop of 30 slipway deploy to ${loopVersion}: ${sec(loopWall)}`);
  rows.push({ what: 'peer: a loop of 30 `slipway deploy -a saas -e SITE --version V`', version: loopVersion, parallel: 1, waves: null, wallMs: loopWall, siteMeanMs: loopTimes.reduce((a, b) => a + b, 0) / loopTimes.length, phases: null });

  const docker = (await w.docker(['version', '--format', '{{.Server.Version}}'])).trim();
  return [
    `Measured ${today()} with \`flock /tmp/slipway-e2e.lock ${command}\` on ${machine()}, Docker ${docker} (load average ${load0.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after).`,
    '',
    `30 sites of a Node app (one replica each, behind Caddy), each with its own database on the machine's PostgreSQL 15 (attached through the services feature; two rows written by the app). Each herd upgrade goes to a new version: canary 1, batches of 25 % (5 waves), \`--bake 0\` (no bake), failure budget 0; every site is backed up (\`pg_dump\` of its database), migrated (the release step: \`node /app/migrate.js\`, a column added) and deployed. Wall time from the API call to the upgrade seen \`succeeded\` (polled every 200 ms); after each run every site answers the new version with its rows. The first deploy of the 30 sites (herd upgrade to 1.0.0, parallel 10, not measured here) took ${sec(first.wallMs)}.`,
    '',
    '| run | to | waves | wall time | wall time ÷ 30 | mean per site (start → done) | of which backup / deploy requested / migration passed / switched | loop ÷ this |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${r.version} | ${r.waves ?? '—'} | ${sec(r.wallMs)} | ${sec(r.wallMs / 30)} | ${r.siteMeanMs === null ? '—' : sec(r.siteMeanMs)} | ${r.phases ? [r.phases.backup, r.phases.request, r.phases.migrate, r.phases.deploy].map((v) => (v / 1000).toFixed(2)).join(' / ') + ' s' : '—'} | ${(loopWall / r.wallMs).toFixed(2)}× |`),
    '',
    'The loop runs each site\'s release step (the migration) and deploy, one after the other, with no backup and no bake; its "mean per site" is one `slipway deploy` process (start to exit). The herd\'s phases come from each site\'s step log (`herd logs`): the `pg_dump`, the runner requesting the deploy, the release step seen passed, the new version serving; the end of a site\'s deployment wakes the runner, which otherwise looks every 500 ms while sites are in flight.',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

// Bounded: the whole run ends after 60 minutes whatever it waits for (teardown included).
setTimeout(() => {
  log('bench/herds.ts: 60 minutes passed; stopping');
  process.kill(process.pid, 'SIGTERM');
}, 3_600_000).unref();

runBench(
  async () => {
    if (args.only !== 'real') {
      const text = await storePart();
      process.stdout.write(`${text}\n`);
      if (args.write) writeSection(args.write, 'herds-store', 'Herds', text);
    }
    if (args.only !== 'store') {
      const text = await realPart();
      process.stdout.write(`${text}\n`);
      if (args.write) writeSection(args.write, 'herds-real', 'Herds', text);
    }
  },
  async () => {
    await herd.dispose();
    await cleanup();
  },
);
