/**
 * The deploy engine with many environments at once, on one machine:
 *
 * 1. Concurrent deployments: 10, 50 and 100 environments of one project (a static site built once
 *    by Slipway on a busybox base), each deploy asked for at the same moment through the API, on
 *    the local Docker engine behind Caddy. Reported per round: wall time until every deployment
 *    ended (all must succeed), the control plane's CPU time (user + system of the server process,
 *    from /proc) and its peak resident memory (sampled every 100 ms).
 * 2. The status page of a project with 10,000 stored environments (each with a release, settings
 *    and an observation), on the embedded SQLite store and on PostgreSQL: the time of
 *    `environmentStatus` (one query plus the active deployments), median of 20 runs after 3 warm-ups.
 *
 *   npm run build && npx tsx bench/fleet.ts [--rounds 10,50,100] [--status 10000] [--write docs/benchmarks.md]
 *
 * There is no peer in this run: none of the single-host peers deploys environments concurrently
 * through one control plane. The machine is shared with nothing else during the run, or the
 * numbers say so (load average before and after).
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { newId } from '../src/platform/ids.js';
import { nowIso } from '../src/platform/time.js';
import { environmentStatus } from '../src/deploy/queries.js';
import { engines } from '../test/support/engines.js';
import { project, setupContext, workspace } from '../test/support/service-fixtures.js';
import { cleanup } from '../test/support/server-process.js';
import { fleetWorld, type FleetWorld } from '../test/support/fleet.js';
import { median, writeSection } from './support.js';

const args = parseArgs({ options: { rounds: { type: 'string', default: '10,50,100' }, status: { type: 'string', default: '10000' }, write: { type: 'string' } } }).values;
const rounds = args.rounds.split(',').map(Number).filter((n) => n > 0);
const statusCount = Number(args.status);
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Round {
  n: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  failed: number;
}

async function deployRounds(w: FleetWorld): Promise<Round[]> {
  const out: Round[] = [];
  for (const n of rounds) {
    const names = await w.environments(`r${n}`, n);
    const before = w.usage();
    let peak = before.rssBytes;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, w.usage().rssBytes);
      } catch {
        /* the process is gone: the round fails below */
      }
    }, 100);
    const t0 = performance.now();
    const ids = await w.deployAll(names);
    const statuses = await w.waitAll(ids, 900_000);
    const wallSeconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    const after = w.usage();
    const failed = [...statuses.values()].filter((s) => s !== 'succeeded').length;
    out.push({ n, wallSeconds, cpuSeconds: after.cpuSeconds - before.cpuSeconds, peakRssMiB: peak / 1024 ** 2, failed });
    log(`${n} deployments: ${wallSeconds.toFixed(1)} s wall, ${(after.cpuSeconds - before.cpuSeconds).toFixed(1)} s CPU, peak RSS ${(peak / 1024 ** 2).toFixed(0)} MiB, ${failed} failed`);
  }
  return out;
}

async function statusTimes(): Promise<Array<{ engine: string; medianMs: number; p90Ms: number }>> {
  const out: Array<{ engine: string; medianMs: number; p90Ms: number }> = [];
  for (const engine of engines) {
    const ctx = await setupContext(engine);
    try {
      const shop = await project(ctx, await workspace(ctx, 'herd', 'high'), 'site');
      const now = nowIso();
      for (let i = 0; i < statusCount; i += 500) {
        const batch = Array.from({ length: Math.min(500, statusCount - i) }, (_, k) => ({ id: newId('env'), name: `site-${i + k + 1}` }));
        await ctx.db.transaction().execute(async (tx) => {
          await tx.insertInto('environments').values(batch.map((e) => ({ id: e.id, project_id: shop.project.id, name: e.name, kind: 'custom', created_at: now }))).execute();
          await tx.insertInto('environment_settings').values(batch.map((e) => ({ environment_id: e.id, data: JSON.stringify({ replicas: 2 }), updated_at: now }))).execute();
          await tx
            .insertInto('releases')
            .values(batch.map((e) => ({ id: newId('rel'), workspace_id: shop.workspace.id, project_id: shop.project.id, environment_id: e.id, number: 1, image_digest: `sha256:${'a'.repeat(64)}`, version_tag: '1.0.0', config_version: 0, secret_versions: '{}', service_credentials: '{}', volumes: '[]', status: 'succeeded', trigger: 'herd-wave', actor_user_id: ctx.admin.userId, actor_token_id: ctx.admin.tokenId, created_at: now, started_at: now, finished_at: now, message: null })))
            .execute();
          await tx.insertInto('environment_observed').values(batch.map((e) => ({ environment_id: e.id, release_number: 1, desired: 2, running: 2, ready: 2, message: null, observed_at: now }))).execute();
        });
      }
      // PostgreSQL's autovacuum analyzes a table after a bulk insert like this one; the bench does it
      // at once instead of waiting for it (SQLite plans without statistics).
      if (engine === 'postgres') await sql`analyze`.execute(ctx.db);
      const times: number[] = [];
      for (let run = 0; run < 23; run += 1) {
        const t0 = performance.now();
        const rows = await environmentStatus(ctx.db, shop);
        const ms = performance.now() - t0;
        if (rows.length < statusCount) throw new Error(`status listed ${rows.length} environments, expected ${statusCount}+`);
        if (run >= 3) times.push(ms);
      }
      times.sort((a, b) => a - b);
      out.push({ engine, medianMs: median(times), p90Ms: times[Math.floor(times.length * 0.9)]! });
      log(`status of ${statusCount} environments on ${engine}: median ${median(times).toFixed(1)} ms`);
    } finally {
      await ctx.cleanup();
    }
  }
  return out;
}

const load0 = loadavg()[0]!;
let world: FleetWorld | undefined;
let text = '';
try {
  let deploys: Round[] = [];
  if (rounds.length > 0) {
    world = await fleetWorld('fleetbench');
    deploys = await deployRounds(world);
    await world.dispose();
    world = undefined;
  }
  const status = await statusTimes();
  const command = ['npx', 'tsx', 'bench/fleet.ts', ...process.argv.slice(2)].join(' ');
  text = [
    `Measured ${nowIso().slice(0, 10)} with \`${command}\` on ${cpus().length} cores (load average ${load0.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after).`,
    '',
    '| deployments at once | all ended after | failed | control-plane CPU | CPU per deployment | peak RSS |',
    '|---:|---:|---:|---:|---:|---:|',
    ...deploys.map((r) => `| ${r.n} | ${r.wallSeconds.toFixed(1)} s | ${r.failed} | ${r.cpuSeconds.toFixed(1)} s | ${((r.cpuSeconds / r.n) * 1000).toFixed(0)} ms | ${r.peakRssMiB.toFixed(0)} MiB |`),
    '',
    `Status page of one project with ${statusCount.toLocaleString('en')} environments (one query over releases, settings and stored observations, plus the active deployments):`,
    '',
    '| store | median | p90 |',
    '|---|---:|---:|',
    ...status.map((s) => `| ${s.engine === 'sqlite' ? 'SQLite (embedded)' : 'PostgreSQL 15'} | ${s.medianMs.toFixed(1)} ms | ${s.p90Ms.toFixed(1)} ms |`),
    '',
  ].join('\n');
} catch (error) {
  process.exitCode = 1;
  log(`bench failed: ${(error as Error).stack ?? String(error)}`);
} finally {
  await world?.dispose().catch(() => undefined);
  await cleanup();
}
if (text) {
  process.stdout.write(text);
  if (args.write) {
    writeSection(args.write, 'fleet', 'Fleet: many environments at once', text);
  }
}
