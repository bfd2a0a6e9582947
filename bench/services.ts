/**
 * Services on one machine, through the real server, Docker engine and Caddy, against the
 * machine's PostgreSQL, MariaDB, Redis and RabbitMQ (adopted):
 *
 * 1. Attach to ready, per kind: an environment runs the service app (a Node app built by Slipway);
 *    `service attach` is called and timed until the release it rolled has finished and (for the
 *    kinds the app speaks) the app has written and read through the injected URL. Reported: the
 *    attach call itself (resource and user made on the server, rows stored) and the whole time to
 *    ready, median of `--runs` (each run detaches with --drop-data first).
 * 2. Rotation under load: a load generator (about 150 requests/s through Caddy) runs while
 *    `service rotate` rolls the environment; reported: the rotation's wall time (call to the
 *    release finished), requests sent and failed, and the time until the old user is revoked.
 *
 *   npm run build && npx tsx bench/services.ts [--runs 3] [--write docs/benchmarks.md]
 *
 * No peer runs in this bench: the single-host peers have no per-environment credentials to attach
 * or rotate (their users paste a shared URL into the environment by hand).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { apiClient, ok } from '../test/support/api.js';
import { deployWorld, loadGenerator, viaProxy, type DeployWorld } from '../test/support/deploy.js';
import { cleanup, tempDir } from '../test/support/server-process.js';
import { bridgeGateway, buildServiceApp, pushNodeBase, relay } from '../test/support/service-app.js';
import { median, writeSection } from './support.js';

const args = parseArgs({ options: { runs: { type: 'string', default: '3' }, write: { type: 'string' } } }).values;
const runs = Math.max(1, Number(args.runs));
const log = (line: string) => process.stderr.write(`${line}\n`);

const kinds = [
  { service: 'pg', kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/postgres', port: 5432, app: 'pg' },
  { service: 'db', kind: 'mysql', url: 'mysql://root@127.0.0.1:3306', port: 3306, app: 'mysql' },
  { service: 'cache', kind: 'redis', url: 'redis://127.0.0.1:6379', port: 6379, app: 'redis' },
  { service: 'mq', kind: 'rabbitmq', url: 'amqp://guest:guest@127.0.0.1:5672', port: 5672, app: null },
] as const;

async function must(w: DeployWorld, cliArgs: string[], input?: string) {
  const r = input === undefined ? await w.run(cliArgs) : await w.cli(cliArgs, input);
  if (r.code !== 0) throw new Error(`${cliArgs.slice(0, 3).join(' ')}: ${r.stderr}`);
  return r;
}

async function follow(w: DeployWorld, id: string | undefined): Promise<void> {
  if (id) await must(w, ['logs', id, '-w', w.ws, '--follow', '--json']);
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] ?? 0;
  const w = await deployWorld({ workspace: 'bench-svc', args: ['--allow-service-host', '127.0.0.1'] });
  const relays: Array<{ close(): Promise<void> }> = [];
  try {
    const admin = apiClient(w.server.url, w.server.adminToken);
    ok(await admin.post(`/api/v1/workspaces/${w.ws}/projects`, { name: 'svcapp' }));
    await pushNodeBase(w.docker, `${w.host}/${w.ws}/base:node`);
    await must(w, ['build', await buildServiceApp(tempDir('slipway-svcapp-')), '-w', w.ws, '-p', 'svcapp', '--runtime', 'node', '--version', '1.0.0', '--base', `${w.host}/${w.ws}/base:node`, '--json']);
    const gateway = await bridgeGateway();
    for (const k of kinds) {
      const r = await relay(gateway, k.port);
      relays.push(r);
      await must(w, ['service', 'create', k.service, '-w', w.ws, '--kind', k.kind, '--adopt', '-', '--workload-address', `${gateway}:${r.port}`, '--json'], k.url);
    }
    const scope = ['-w', w.ws, '-p', 'svcapp', '-e', 'dev'];
    await must(w, ['deploy', ...scope, '--version', '1.0.0', '--json']);
    const domain = `dev.svcapp.${w.ws}.localhost`;

    const attachRows: string[] = [];
    for (const k of kinds) {
      const calls: number[] = [];
      const totals: number[] = [];
      for (let i = 0; i < runs; i += 1) {
        const t0 = performance.now();
        const r = await must(w, ['service', 'attach', k.service, ...scope, '--json']);
        const t1 = performance.now();
        await follow(w, r.json<{ deployment: { id: string } | null }>().deployment?.id);
        if (k.app) {
          const v = `run-${i}`;
          const wrote = await viaProxy(w.proxyPort, domain, `/${k.app}/write?v=${v}`);
          const read = await viaProxy(w.proxyPort, domain, `/${k.app}/read`);
          if (wrote.body !== 'ok' || read.body !== v) throw new Error(`${k.kind}: the app could not use the attachment: ${wrote.body} ${read.body}`);
        }
        const t2 = performance.now();
        calls.push(t1 - t0);
        totals.push(t2 - t0);
        log(`attach ${k.kind} #${i + 1}: call ${Math.round(t1 - t0)} ms, ready ${Math.round(t2 - t0)} ms`);
        if (i < runs - 1 || k.kind !== 'postgres') {
          const d = await must(w, ['service', 'detach', k.service, ...scope, '--drop-data', '--confirm', k.service, '--json']);
          await follow(w, d.json<{ deployment: { id: string } | null }>().deployment?.id);
          await until(async () => (await must(w, ['service', 'attachments', ...scope, '--json'])).json<{ attachments: Array<{ service: string }> }>().attachments.every((a) => a.service !== k.service));
        }
      }
      attachRows.push(`| ${k.kind} | ${Math.round(median(calls))} | ${(median(totals) / 1000).toFixed(1)} |${k.app ? '' : ' (attach and rolled release only: the app speaks no AMQP)'}`);
    }

    // Rotation under load (postgres stays attached from the last run above).
    const rotations: Array<{ wall: number; revoked: number; sent: number; failed: number }> = [];
    for (let i = 0; i < runs; i += 1) {
      const before = (await must(w, ['service', 'attachments', ...scope, '--json'])).json<{ attachments: Array<{ service: string; generation: number; resource: string }> }>().attachments.find((a) => a.service === 'pg');
      if (!before) throw new Error('pg is not attached');
      const oldUser = `${before.resource}_${before.generation}`;
      const load = loadGenerator(w.proxyPort, domain);
      const t0 = performance.now();
      const r = await must(w, ['service', 'rotate', 'pg', ...scope, '--json']);
      await follow(w, r.json<{ deployment: { id: string } | null }>().deployment?.id);
      const wall = performance.now() - t0;
      await until(async () => {
        const c = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
        await c.connect();
        try {
          return (await c.query('select 1 from pg_roles where rolname = $1', [oldUser])).rowCount === 0;
        } finally {
          await c.end();
        }
      });
      const revoked = performance.now() - t0;
      const result = await load.stop();
      rotations.push({ wall, revoked, sent: result.sent, failed: result.failed });
      log(`rotate #${i + 1}: ${Math.round(wall)} ms, old user gone after ${Math.round(revoked)} ms, ${result.sent} requests, ${result.failed} failed`);
    }

    const loadAfter = loadavg()[0] ?? 0;
    const text = [
      `Command: \`npm run build && npx tsx bench/services.ts --runs ${runs} --write docs/benchmarks.md\` (${new Date().toISOString().slice(0, 10)}; 2 cores; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after). Adopted servers on this machine (PostgreSQL 15, MariaDB, Redis 7, RabbitMQ 3.10); the app is a Node app built by Slipway, one replica, behind Caddy.`,
      '',
      '**Attach to ready** (median of ' + runs + '): the `service attach` call (database/vhost/prefix and user made on the server, rows stored), and until the release it rolled has finished and the app has written and read through the injected URL.',
      '',
      '| kind | attach call (ms) | attach to ready (s) |',
      '|---|---|---|',
      ...attachRows,
      '',
      '**Rotation under load** (PostgreSQL, about 150 requests/s through Caddy during each rotation):',
      '',
      '| run | rotation wall time (s) | old user gone after (s) | requests | failed |',
      '|---|---|---|---|---|',
      ...rotations.map((r, i) => `| ${i + 1} | ${(r.wall / 1000).toFixed(1)} | ${(r.revoked / 1000).toFixed(1)} | ${r.sent} | ${r.failed} |`),
      '',
      'No peer in this run: Dokploy, Coolify, CapRover and Kamal have no per-environment service credentials to attach or rotate.',
      '',
    ].join('\n');
    process.stdout.write(text);
    if (args.write) writeSection(args.write, 'services', 'Services: attach and rotate', text);
  } finally {
    for (const r of relays) await r.close();
    await w.dispose();
    await cleanup();
  }
}

await main();
