/**
 * Many agents on one control plane: 1,000 simulated agents (bench/agents-sim.ts: the real join
 * and the real agent session, real TLS with a client certificate each, no Docker engine) in two
 * child processes, against one `slipway server --gateway-listen` in its own process, so its memory
 * and CPU are read from /proc/PID.
 *
 * 1. The server adds 1,000 servers through the API (a join token each); the agents enrol (CA
 *    fetched and pin-checked, a key and a CSR each, the CSR signed, the token spent): rates.
 * 2. All 1,000 dial at once: time until every one has its desired state. Then heartbeats every
 *    10 s (the default) for a window: the server's CPU and RSS (before agents, with them), and the
 *    heartbeat → ack round trip measured by each agent.
 * 3. The server restarts with SLIPWAY_AGENT_HEARTBEAT=1 (1,000 beats a second): the same again.
 * 4. Pushing a desired-state change needs the server's FleetState, which no API reaches for all
 *    servers at once (a route per server would take 1,000 deployments). So the server process
 *    stops with the agents connected and the bench opens the same data directory (store, master
 *    key, CA) in its own process, with the same gateway code on the same port: the agents come
 *    back on their own (time until all 1,000 have their desired state again, bounded by their
 *    retry backoff), then a route is put on every server (1,000 stored upserts) and the time
 *    until every agent has a desired state holding it is measured, and until the control plane
 *    knows every agent applied it (the agents acknowledge at once); and the desired state is
 *    re-sent to all 1,000 without a change (FleetState.schedulePush), which is the push alone.
 * 5. What a window of seconds cannot show: the metrics history kept for the panel's charts after
 *    an hour of heartbeats of 1,000 servers (bench/agents-history.ts, a simulated clock).
 *
 *   npm run build && npx tsx bench/agents.ts [--agents 1000] [--procs 2] [--window 30] [--stress-window 30] [--pushes 5] [--write docs/benchmarks.md]
 *
 * Everything is on loopback and on this machine: the agents' processes share its cores with the
 * server, so the round trips include their own event loops. It stops by itself (a 10-minute limit).
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { InternalCa } from '../src/fleet/ca.js';
import { FleetState } from '../src/fleet/desired.js';
import type { FleetContext } from '../src/fleet/servers.js';
import { AgentSessions } from '../src/fleet/sessions.js';
import { nowIso } from '../src/platform/time.js';
import { masterKeyring } from '../src/secrets/keyring.js';
import { loadMasterKey } from '../src/secrets/master-key.js';
import { startGateway, type RunningGateway } from '../src/server/gateway.js';
import { openStore, type Store } from '../src/store/open.js';
import { call } from '../test/support/api.js';
import { cleanup, startServerProcess, tempDir, type ServerProcess } from '../test/support/server-process.js';
import type { SimRequest, SimState } from './agents-sim.js';
import { freePort, median, writeSection } from './support.js';

const args = parseArgs({ options: { agents: { type: 'string', default: '1000' }, procs: { type: 'string', default: '2' }, window: { type: 'string', default: '30' }, 'stress-window': { type: 'string', default: '30' }, pushes: { type: 'string', default: '5' }, write: { type: 'string' } } }).values;
const agents = Number(args.agents);
const procs = Number(args.procs);
const windowSeconds = Number(args.window);
const stressSeconds = Number(args['stress-window']);
const pushes = Number(args.pushes);
const log = (line: string) => process.stderr.write(`[agents] ${line}\n`);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 ** 2;
const ticks = 100; // USER_HZ: /proc times are in 1/100 s on Linux

// ---- the simulated agents' processes ----------------------------------------------------------

type Req = SimRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

class SimProcess {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  constructor(readonly child: ChildProcess) {
    child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error !== undefined) w?.reject(new Error(m.error));
      else w?.resolve(m.result);
    });
    child.on('exit', () => {
      for (const w of this.waiting.values()) w.reject(new Error('a simulated agents process exited'));
      this.waiting.clear();
    });
  }
  request<T>(req: Req): Promise<T> {
    const id = (this.seq += 1);
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...req, id });
    });
  }
}

function startSims(n: number): SimProcess[] {
  return Array.from({ length: n }, () => new SimProcess(fork(join(import.meta.dirname, 'agents-sim.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
}

async function state(sims: SimProcess[], since: number, route?: string): Promise<SimState> {
  const all = await Promise.all(sims.map((s) => s.request<SimState>({ op: 'query', since, ...(route ? { route } : {}) })));
  return all.reduce((a, b) => ({ agents: a.agents + b.agents, connected: a.connected + b.connected, desired: a.desired + b.desired, desiredLastAt: Math.max(a.desiredLastAt, b.desiredLastAt), routed: a.routed + b.routed, routedLastAt: Math.max(a.routedLastAt, b.routedLastAt), disconnects: a.disconnects + b.disconnects, warnings: a.warnings + b.warnings, lastWarning: b.lastWarning ?? a.lastWarning }));
}

/** Polls the agents every 50 ms until `done` holds; the time comes from the agents' own timestamps. */
async function until(sims: SimProcess[], since: number, done: (s: SimState) => boolean, what: string, timeoutMs = 120_000, route?: string): Promise<SimState> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await state(sims, since, route);
    if (done(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
    await sleep(50);
  }
}

// ---- /proc ------------------------------------------------------------------------------------

function usage(pid: number): { cpuSeconds: number; rssBytes: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticks, rssBytes: Number(rss ?? 0) * 1024 };
}

function openFilesLimit(): number {
  const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m?.[1] === 'unlimited' ? Infinity : Number(m?.[1] ?? 1024);
}

/** RSS after 5 s without agents (the start's garbage mostly collected): the lowest of samples every 250 ms. */
async function settledRss(pid: number): Promise<number> {
  await sleep(2000);
  let low = usage(pid).rssBytes;
  for (let i = 0; i < 12; i += 1) {
    await sleep(250);
    low = Math.min(low, usage(pid).rssBytes);
  }
  return low;
}

/** Runs `step`, with the CPU seconds the process `pid` used meanwhile. */
async function withCpu<T>(pid: number, step: () => Promise<T>): Promise<[T, number]> {
  const before = usage(pid).cpuSeconds;
  const result = await step();
  return [result, usage(pid).cpuSeconds - before];
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

// ---- the measurements -------------------------------------------------------------------------

interface Window {
  heartbeatSeconds: number;
  connected: number;
  beatsPerSecond: number;
  cpuPercent: number;
  agentsCpuPercent: number;
  rssBeforeMiB: number;
  rssMiB: number;
  rssPeakMiB: number;
  p50: number;
  p99: number;
  max: number;
  dropped: number;
}

/** The server's CPU and RSS and the agents' heartbeat round trips over `seconds`. */
async function measure(pid: number, sims: SimProcess[], seconds: number, heartbeatSeconds: number, rssBeforeBytes: number): Promise<Window> {
  await Promise.all(sims.map((s) => s.request({ op: 'rtt', reset: true })));
  const before = await state(sims, 0);
  const u0 = usage(pid);
  const c0 = sims.reduce((sum, s) => sum + usage(s.child.pid!).cpuSeconds, 0);
  let peak = u0.rssBytes;
  const sampler = setInterval(() => (peak = Math.max(peak, usage(pid).rssBytes)), 250);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  clearInterval(sampler);
  const elapsed = (performance.now() - t0) / 1000;
  const u1 = usage(pid);
  const c1 = sims.reduce((sum, s) => sum + usage(s.child.pid!).cpuSeconds, 0);
  const rtts = (await Promise.all(sims.map((s) => s.request<number[]>({ op: 'rtt', reset: true })))).flat().sort((a, b) => a - b);
  const after = await state(sims, 0);
  const w: Window = {
    heartbeatSeconds,
    connected: after.connected,
    beatsPerSecond: rtts.length / elapsed,
    cpuPercent: ((u1.cpuSeconds - u0.cpuSeconds) / elapsed) * 100,
    agentsCpuPercent: ((c1 - c0) / elapsed) * 100,
    rssBeforeMiB: rssBeforeBytes / MiB,
    rssMiB: u1.rssBytes / MiB,
    rssPeakMiB: Math.max(peak, u1.rssBytes) / MiB,
    p50: pct(rtts, 0.5),
    p99: pct(rtts, 0.99),
    max: rtts.at(-1) ?? NaN,
    dropped: after.disconnects - before.disconnects,
  };
  log(`heartbeat ${heartbeatSeconds} s: ${w.connected} connected, ${w.beatsPerSecond.toFixed(0)} beats/s, server CPU ${w.cpuPercent.toFixed(1)} %, RSS ${w.rssBeforeMiB.toFixed(0)} → ${w.rssMiB.toFixed(0)} MiB (peak ${w.rssPeakMiB.toFixed(0)}), RTT p50 ${w.p50.toFixed(2)} ms p99 ${w.p99.toFixed(2)} ms max ${w.max.toFixed(1)} ms, ${w.dropped} dropped`);
  return w;
}

/** Every agent dials now; seconds until the last has its desired state. */
async function connectAll(sims: SimProcess[]): Promise<number> {
  const since = now();
  await Promise.all(sims.map((s) => s.request({ op: 'connect' })));
  const s = await until(sims, since, (x) => x.desired >= agents, `${agents} agents to connect`);
  return (s.desiredLastAt - since) / 1000;
}

async function addServers(server: ServerProcess): Promise<{ tokens: string[]; seconds: number }> {
  const tokens: string[] = new Array<string>(agents);
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < agents) {
      const i = next++;
      const r = await call(server.url, { method: 'POST', path: '/api/v1/servers', token: server.adminToken, body: { name: `sim-${String(i).padStart(4, '0')}`, tokenTtlSeconds: 3600 } });
      if (r.status !== 201) throw new Error(`adding server ${i}: ${r.status} ${r.text}`);
      tokens[i] = (r.json as { joinToken: string }).joinToken;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { tokens, seconds: (performance.now() - t0) / 1000 };
}

async function enrolAll(sims: SimProcess[], tokens: string[], work: string): Promise<number> {
  const t0 = performance.now();
  const results = await Promise.all(sims.map((s, k) => s.request<{ ok: number; failed: number; errors: string[] }>({ op: 'enroll', tokens: tokens.filter((_, i) => i % sims.length === k), baseDir: join(work, `sim-${k}`), concurrency: 8 })));
  const failed = results.reduce((n, r) => n + r.failed, 0);
  if (failed > 0) throw new Error(`${failed} agents failed to enrol: ${results.flatMap((r) => r.errors).join('; ')}`);
  return (performance.now() - t0) / 1000;
}

interface Push {
  writeMs: number;
  allMs: number;
  /** Until the control plane knew every agent applied it (FleetState.waitApplied, as a route change through a server's edge waits). */
  appliedMs: number;
}

/** The control plane of the same data directory, in this process: the gateway on the same port. */
async function inProcess(dataDir: string, port: number): Promise<{ fleet: FleetContext; store: Store; gateway: RunningGateway; since: number }> {
  const keyring = masterKeyring(loadMasterKey(join(dataDir, 'master.key'), { create: false }).key);
  const store = await openStore({ engine: 'sqlite', file: join(dataDir, 'slipway.db') });
  const sessions = new AgentSessions();
  const fleet: FleetContext = { db: store.db, ca: await InternalCa.open(dataDir, keyring), sessions, state: new FleetState(store.db, keyring, sessions), gatewayUrl: null, agentCertificateMs: 6 * 3_600_000, heartbeatSeconds: 10 };
  const since = now();
  const gateway = await startGateway(fleet, { host: '127.0.0.1', port }, undefined, pino({ level: 'warn' }), null);
  return { fleet, store, gateway, since };
}

/** The memory an hour of heartbeats leaves in the metrics history, for every agent (bench/agents-history.ts, in a fresh process). */
function historyMiB(heartbeatSeconds: number): number {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'agents-history.ts'), String(agents), String(heartbeatSeconds)], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`bench/agents-history.ts failed: ${r.stderr}`);
  const { mib } = JSON.parse(r.stdout) as { mib: number };
  log(`metrics history of an hour at a heartbeat every ${heartbeatSeconds} s: ${mib.toFixed(0)} MiB for ${agents} servers`);
  return mib;
}

async function pushRounds(fleet: FleetContext, store: Store, sims: SimProcess[]): Promise<{ change: Push[]; resend: number[] }> {
  const ids = (await store.db.selectFrom('servers').select('id').where('state', '=', 'active').execute()).map((r) => r.id);
  const change: Push[] = [];
  const resend: number[] = [];
  for (let r = 1; r <= pushes; r += 1) {
    const route = `bench-push-${r}`;
    const t0 = now();
    let written = 0;
    const applied = Promise.all(
      ids.map(async (id) => {
        const revision = await fleet.state.setRoute(id, { id: route, hosts: [`r${r}.bench.localhost`], upstreams: ['127.0.0.1:9'] });
        written = Math.max(written, now());
        await fleet.state.waitApplied(id, revision, 60_000);
      }),
    ).then(() => now());
    const s = await until(sims, t0, (x) => x.routed >= agents, `route ${route} on every agent`, 60_000, route);
    const appliedAt = await applied;
    change.push({ writeMs: written - t0, allMs: s.routedLastAt - t0, appliedMs: appliedAt - t0 });
    log(`push ${r}: ${ids.length} routes stored in ${(written - t0).toFixed(0)} ms, on every agent after ${(s.routedLastAt - t0).toFixed(0)} ms, known applied after ${(appliedAt - t0).toFixed(0)} ms`);
    await sleep(500);
    const t1 = now();
    for (const id of ids) fleet.state.schedulePush(id);
    const d = await until(sims, t1, (x) => x.desired >= agents, 'the desired state re-sent to every agent', 60_000);
    resend.push(d.desiredLastAt - t1);
    log(`re-send ${r}: on every agent after ${(d.desiredLastAt - t1).toFixed(0)} ms`);
    await sleep(500);
  }
  return { change, resend };
}

// ---- the run ----------------------------------------------------------------------------------

const limit = openFilesLimit();
if (limit < agents + 512) throw new Error(`the open-files limit is ${limit}: raise it for ${agents} agents (ulimit -n 65536) and run again`);
const load0 = loadavg()[0]!;
const sims = startSims(procs);
let server: ServerProcess | undefined;
let local: Awaited<ReturnType<typeof inProcess>> | undefined;
let text = '';
// Bounded: whatever happens, the bench and everything it started stop after 10 minutes.
const limitTimer = setTimeout(() => {
  log('over the 10-minute limit: stopping');
  for (const s of sims) s.child.kill('SIGKILL');
  void cleanup().finally(() => process.exit(1));
}, 600_000);
limitTimer.unref();
try {
  const history = [10, 1].map((hb) => ({ hb, mib: historyMiB(hb) }));
  const work = tempDir('slipway-agents-bench-');
  const dataDir = join(work, 'control-plane');
  const gatewayPort = await freePort();
  const serverArgs = ['--gateway-listen', `127.0.0.1:${gatewayPort}`];
  server = await startServerProcess({ dataDir, args: serverArgs });
  const pid1 = server.pid;
  const [added, addCpu] = await withCpu(pid1, () => addServers(server!));
  log(`${agents} servers added in ${added.seconds.toFixed(1)} s`);
  const rss1 = await settledRss(server.pid);
  const [enrolSeconds, enrolCpu] = await withCpu(pid1, () => enrolAll(sims, added.tokens, work));
  log(`${agents} agents enrolled in ${enrolSeconds.toFixed(1)} s`);
  const [connect1, connect1Cpu] = await withCpu(pid1, () => connectAll(sims));
  log(`${agents} agents connected with their desired state after ${connect1.toFixed(2)} s`);
  await sleep(5000);
  const calm = await measure(server.pid, sims, windowSeconds, 10, rss1);

  // The same server, restarted with a heartbeat every second (the agents away meanwhile).
  await Promise.all(sims.map((s) => s.request({ op: 'disconnect' })));
  await server.stop();
  server = await startServerProcess({ dataDir, args: serverArgs, env: { SLIPWAY_AGENT_HEARTBEAT: '1' } });
  const rss2 = await settledRss(server.pid);
  const [connect2, connect2Cpu] = await withCpu(server.pid, () => connectAll(sims));
  log(`${agents} agents connected to the restarted server after ${connect2.toFixed(2)} s`);
  await sleep(5000);
  const stress = await measure(server.pid, sims, stressSeconds, 1, rss2);

  // The server process stops under the agents; the same data directory is opened here.
  await server.stop();
  server = undefined;
  local = await inProcess(dataDir, gatewayPort);
  const back = await until(sims, local.since, (x) => x.desired >= agents, `${agents} agents to come back`);
  const reconnect = (back.desiredLastAt - local.since) / 1000;
  log(`${agents} agents back with their desired state ${reconnect.toFixed(2)} s after the gateway listened`);
  await sleep(2000);
  const { change, resend } = await pushRounds(local.fleet, local.store, sims);

  const command = ['npx', 'tsx', 'bench/agents.ts', ...process.argv.slice(2)].join(' ');
  const n = agents.toLocaleString('en');
  const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 0)} ms`;
  const row = (label: string, w: Window) =>
    `| ${label} | ${w.connected} | ${w.beatsPerSecond.toFixed(0)} | ${w.cpuPercent.toFixed(1)} % | ${w.rssBeforeMiB.toFixed(0)} MiB | ${w.rssMiB.toFixed(0)} MiB | **${(w.rssMiB - w.rssBeforeMiB).toFixed(0)} MiB** / ${(w.rssPeakMiB - w.rssBeforeMiB).toFixed(0)} MiB | ${ms(w.p50)} | **${ms(w.p99)}** | ${ms(w.max)} | ${w.dropped} |`;
  text = [
    `Measured ${nowIso().slice(0, 10)} with \`${command}\` on ${cpus().length} cores (load average ${load0.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after). ` +
      `The control plane is \`slipway server --gateway-listen\` on the embedded SQLite store in its own process (CPU and RSS from /proc/PID); ${n} agents in ${procs} child processes, each its own key, certificate and TLS session, all on loopback.`,
    '',
    '| step | time | rate | control-plane CPU |',
    '|---|---:|---:|---:|',
    `| add ${n} servers through the API (8 at a time) | ${added.seconds.toFixed(1)} s | ${(agents / added.seconds).toFixed(0)} /s | ${addCpu.toFixed(1)} s |`,
    `| enrol ${n} agents (CA pin-checked, own key and CSR, CSR signed, token spent; 16 at a time) | ${enrolSeconds.toFixed(1)} s | ${(agents / enrolSeconds).toFixed(0)} /s | ${enrolCpu.toFixed(1)} s |`,
    `| ${n} agents dial at once → every one has its desired state | ${connect1.toFixed(2)} s | | ${connect1Cpu.toFixed(1)} s |`,
    `| the same, to the restarted server | ${connect2.toFixed(2)} s | | ${connect2Cpu.toFixed(1)} s |`,
    `| control plane restarted under the agents → every one back with its desired state (their retry backoff; gateway in the bench's process) | ${reconnect.toFixed(2)} s | | |`,
    '',
    `| heartbeat | connected | beats/s | control-plane CPU (of one core) | RSS before agents | RSS with ${n} (end) | extra RSS (end / peak) | RTT p50 | RTT p99 | RTT max | sessions dropped |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    row(`every 10 s (default), ${windowSeconds} s`, calm),
    row(`every 1 s (SLIPWAY_AGENT_HEARTBEAT=1), ${stressSeconds} s`, stress),
    '',
    `RTT: heartbeat sent → ack received, measured by each agent (includes its own process's event loop; the ${procs} agent processes used ${calm.agentsCpuPercent.toFixed(0)} % and ${stress.agentsCpuPercent.toFixed(0)} % of a core in the two windows).`,
    '',
    `What the windows cannot show, the metrics history the control plane keeps for the panel's charts (the last hour of every server), after an hour of heartbeats of ${n} servers on a simulated clock (bench/agents-history.ts; heap and array buffers): ${history.map((h) => `**${h.mib.toFixed(0)} MiB** with a heartbeat every ${h.hb} s`).join(', ')}.`,
    '',
    `Pushing one desired-state change to all ${n} (the same data directory and gateway code in the bench's process; median of ${pushes}):`,
    '',
    '| push | store writes | every agent has it | min | max | control plane knows all applied |',
    '|---|---:|---:|---:|---:|---:|',
    `| a new route on every server (FleetState.setRoute × ${n}) | ${median(change.map((c) => c.writeMs)).toFixed(0)} ms | **${median(change.map((c) => c.allMs)).toFixed(0)} ms** | ${Math.min(...change.map((c) => c.allMs)).toFixed(0)} ms | ${Math.max(...change.map((c) => c.allMs)).toFixed(0)} ms | ${median(change.map((c) => c.appliedMs)).toFixed(0)} ms |`,
    `| the desired state re-sent, unchanged (FleetState.schedulePush × ${n}) | — | **${median(resend).toFixed(0)} ms** | ${Math.min(...resend).toFixed(0)} ms | ${Math.max(...resend).toFixed(0)} ms | |`,
    '',
  ].join('\n');
} catch (error) {
  process.exitCode = 1;
  log(`bench failed: ${(error as Error).stack ?? String(error)}`);
  if (server) log(`server logs (tail):\n${server.logs().slice(-3000)}`);
} finally {
  await Promise.all(sims.map((s) => s.request({ op: 'exit' }).catch(() => undefined)));
  await local?.gateway.close().catch(() => undefined);
  await local?.store.close().catch(() => undefined);
  await server?.stop().catch(() => undefined);
  await cleanup();
  clearTimeout(limitTimer);
}
if (text) {
  process.stdout.write(text);
  if (args.write) writeSection(args.write, 'agents', `Agents: ${agents.toLocaleString('en')} on one control plane`, text);
}
