/**
 * API throughput and latency on the embedded SQLite store and on PostgreSQL, side by side in one
 * run, with the ratio. Each engine gets a real `slipway server` process; autocannon (in this
 * process) drives the same four workloads against each for a fixed, bounded time.
 *
 *   npx tsx bench/api-engines.ts [--seconds 5] [--connections 10] [--write docs/benchmarks.md]
 *
 * Needs `npm run build` first and PostgreSQL on 127.0.0.1:5432.
 */
import autocannon from 'autocannon';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { createTestDatabase } from '../test/support/postgres.js';
import { startSlipway, stopAll, type BenchServer } from './server.js';
import { writeSection } from './support.js';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '10' }, write: { type: 'string' } } });
const seconds = Number(args.seconds);
const connections = Number(args.connections);

/** A server on its default log level (info). */
const startServer = (extra: string[]): Promise<BenchServer> => startSlipway({ prefix: 'slipway-bench-', args: extra, logLevel: 'info' });

const env = '/api/v1/workspaces/bench/projects/shop/environments/prod';
const workloads: Array<{ name: string; method: 'GET' | 'PATCH' | 'PUT'; path: string; body?: (i: number) => unknown }> = [
  { name: 'GET /healthz (store round trip, no auth)', method: 'GET', path: '/healthz' },
  { name: 'GET resolved config (auth + scope + 2 layers)', method: 'GET', path: `${env}/config` },
  { name: 'PATCH config (new version + audit, 1 txn)', method: 'PATCH', path: `${env}/config`, body: (i) => ({ set: { COUNTER: String(i) } }) },
  { name: 'PUT secret (encrypt + new version + audit)', method: 'PUT', path: `${env}/secrets/DB_PASSWORD`, body: (i) => ({ value: `secret-${i}` }) },
];

interface Row {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function measure(s: BenchServer, w: (typeof workloads)[number]): Promise<Row> {
  let i = 0;
  const result = await autocannon({
    url: `${s.url}${w.path}`,
    method: w.method,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => (w.body ? { ...req, body: JSON.stringify(w.body(i++)) } : req) }],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function main(): Promise<void> {
  const pg = await createTestDatabase();
  const servers = { sqlite: await startServer([]), postgres: await startServer(['--database-url', pg.url]) };
  const results: Record<string, { sqlite: Row; postgres: Row }> = {};
  try {
    for (const s of Object.values(servers)) {
      await s.api('POST', '/api/v1/workspaces', { name: 'bench', tier: 'high' });
      await s.api('POST', '/api/v1/workspaces/bench/projects', { name: 'shop' });
      await s.api('PATCH', '/api/v1/workspaces/bench/projects/shop/config', { set: { LOG_LEVEL: 'info', A: '1', B: '2' } });
      await s.api('PATCH', `${env}/config`, { set: { LOG_LEVEL: 'warn' } });
    }
    for (const w of workloads) {
      results[w.name] = { sqlite: await measure(servers.sqlite, w), postgres: await measure(servers.postgres, w) };
      process.stderr.write(`measured: ${w.name}\n`);
    }
  } finally {
    await stopAll();
    await pg.drop();
  }
  const lines = [
    `| workload | SQLite req/s | PostgreSQL req/s | PG / SQLite | SQLite p50 / p99 ms | PostgreSQL p50 / p99 ms | errors |`,
    `|---|---|---|---|---|---|---|`,
    ...Object.entries(results).map(([name, r]) => `| ${name} | ${r.sqlite.rps.toFixed(0)} | ${r.postgres.rps.toFixed(0)} | ${(r.postgres.rps / r.sqlite.rps).toFixed(2)} | ${r.sqlite.p50} / ${r.sqlite.p99} | ${r.postgres.p50} / ${r.postgres.p99} | ${r.sqlite.errors + r.postgres.errors} |`),
  ];
  const header = `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ${connections} connections, ${seconds} s per workload per engine, server and load generator on the same machine.`;
  const table = `${header}\n\n${lines.join('\n')}\n`;
  process.stdout.write(table);
  if (args.write) writeSection(args.write, 'api-engines', 'API on the embedded store vs PostgreSQL', table);
}

await main();
