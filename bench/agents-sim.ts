/**
 * bench/agents.ts's simulated agents: one child process holding hundreds of agents. Each is the
 * real agent's join (src/agent/join.ts: pinned CA, its own P-256 key, a CSR, the token spent) and
 * the real agent's session (src/agent/session.ts: a WebSocket over TLS with its client
 * certificate, hello, heartbeats at the interval the gateway sets, acks), without a Docker engine
 * or an edge: the desired state it receives is recorded and acknowledged as applied at once, not
 * converged.
 *
 * Driven by its parent over IPC (`{ id, op, ... }` → `{ id, result }`); it exits when the parent
 * goes away.
 *
 * @module
 */
import { join as joinPath } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ServerMetrics } from '../src/api/servers.js';
import { join } from '../src/agent/join.js';
import { runSession, type AgentSession } from '../src/agent/session.js';
import { loadIdentity } from '../src/agent/state.js';

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes of one machine. */
const now = () => performance.timeOrigin + performance.now();

export type SimRequest =
  | { id: number; op: 'enroll'; tokens: string[]; baseDir: string; concurrency: number }
  | { id: number; op: 'connect' }
  | { id: number; op: 'disconnect' }
  | { id: number; op: 'query'; since: number; route?: string }
  | { id: number; op: 'rtt'; reset: boolean }
  | { id: number; op: 'exit' };

export interface SimState {
  agents: number;
  connected: number;
  /** Agents that received a desired state at or after `since`, and when the last of them got its first one. */
  desired: number;
  desiredLastAt: number;
  /** Agents whose desired state holds route `route`, and when the last of them first saw it. */
  routed: number;
  routedLastAt: number;
  disconnects: number;
  warnings: number;
  lastWarning: string | null;
}

interface Sim {
  dir: string;
  session: AgentSession | null;
  connected: boolean;
  desiredAt: number[];
  routeSeen: Map<string, number>;
}

const sims: Sim[] = [];
let rtts: number[] = [];
let disconnects = 0;
let warnings = 0;
let lastWarning: string | null = null;

// What a small server would report; the gateway only stores and shows it.
const metrics = async (): Promise<ServerMetrics> => ({ cpuPercent: Math.round(Math.random() * 1000) / 10, cpus: 2, load1: 0.42, memoryUsedBytes: 1_200_000_000, memoryTotalBytes: 4_000_000_000, diskUsedBytes: 9_000_000_000, diskTotalBytes: 40_000_000_000, containers: 3 });

async function enroll(tokens: string[], baseDir: string, concurrency: number): Promise<{ ok: number; failed: number; errors: string[] }> {
  let next = 0;
  let failed = 0;
  const errors: string[] = [];
  const worker = async () => {
    while (next < tokens.length) {
      const i = next++;
      const dir = joinPath(baseDir, `agent-${i}`);
      try {
        await join(tokens[i]!, dir);
        sims.push({ dir, session: null, connected: false, desiredAt: [], routeSeen: new Map() });
      } catch (error) {
        failed += 1;
        if (errors.length < 5) errors.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ok: tokens.length - failed, failed, errors };
}

function connect(sim: Sim): void {
  const identity = loadIdentity(sim.dir);
  if (!identity) throw new Error(`no identity in ${sim.dir}`);
  sim.session = runSession({
    dataDir: sim.dir,
    identity,
    advertiseAddress: null,
    metrics,
    events: {
      connected: () => (sim.connected = true),
      disconnected: () => {
        sim.connected = false;
        disconnects += 1;
      },
      heartbeatAcked: (_seq, rttMs) => rtts.push(rttMs),
      log: (level, message) => {
        if (level === 'info') return;
        warnings += 1;
        lastWarning = message;
      },
    },
    handlers: {
      desired: (m) => {
        const at = now();
        sim.desiredAt.push(at);
        if (sim.desiredAt.length > 50) sim.desiredAt.shift();
        for (const r of m.routes) if (!sim.routeSeen.has(r.id)) sim.routeSeen.set(r.id, at);
        // Converged at once (nothing to run here): the control plane's waitApplied goes on.
        sim.session?.send({ type: 'applied', revision: m.revision });
      },
    },
  });
  sim.session.done.catch((error: unknown) => {
    warnings += 1;
    lastWarning = `session ended: ${(error as Error).message}`;
  });
}

function query(since: number, route: string | undefined): SimState {
  let connected = 0;
  let desired = 0;
  let desiredLastAt = 0;
  let routed = 0;
  let routedLastAt = 0;
  for (const s of sims) {
    if (s.connected) connected += 1;
    const first = s.desiredAt.find((t) => t >= since);
    if (first !== undefined) {
      desired += 1;
      desiredLastAt = Math.max(desiredLastAt, first);
    }
    const seen = route ? s.routeSeen.get(route) : undefined;
    if (seen !== undefined) {
      routed += 1;
      routedLastAt = Math.max(routedLastAt, seen);
    }
  }
  return { agents: sims.length, connected, desired, desiredLastAt, routed, routedLastAt, disconnects, warnings, lastWarning };
}

async function handle(m: SimRequest): Promise<unknown> {
  switch (m.op) {
    case 'enroll':
      return enroll(m.tokens, m.baseDir, m.concurrency);
    case 'connect':
      for (const s of sims) connect(s);
      return sims.length;
    case 'disconnect':
      for (const s of sims) {
        s.session?.stop();
        s.session = null;
        s.connected = false;
      }
      return sims.length;
    case 'query':
      return query(m.since, m.route);
    case 'rtt': {
      const out = rtts;
      if (m.reset) rtts = [];
      return out;
    }
    case 'exit':
      for (const s of sims) s.session?.stop();
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on('message', (m: SimRequest) => {
  handle(m).then(
    (result) => process.send?.({ id: m.id, result }),
    (error: unknown) => process.send?.({ id: m.id, error: (error as Error).message }),
  );
});
// The parent is gone (finished or killed): nothing here outlives it.
process.on('disconnect', () => process.exit(0));
