/**
 * bench/agents.ts's measure of what its windows cannot show: the memory the control plane's
 * metrics history (AgentSessions, fed as the gateway feeds it) holds after an hour of heartbeats
 * of N servers, on a simulated clock. Run in a fresh process per interval, with --expose-gc:
 *
 *   node --expose-gc --import tsx bench/agents-history.ts SERVERS HEARTBEAT_SECONDS   → {"mib": …, "samples": …}
 *
 * @module
 */
import { AgentSessions } from '../src/fleet/sessions.js';

const [servers, heartbeatSeconds] = process.argv.slice(2).map(Number) as [number, number];
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const settle = async () => {
  for (let i = 0; i < 3; i += 1) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
};
// Heap and array buffers (the history may keep numbers outside the heap).
const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;

await settle();
const before = used();
const sessions = new AgentSessions();
const channel = { send: () => undefined, close: () => undefined };
for (let i = 0; i < servers; i += 1) sessions.attach(`srv_${i}`, channel, 4409);
const t0 = Date.now();
for (let at = 0; at < 3_600_000; at += heartbeatSeconds * 1000) {
  for (let i = 0; i < servers; i += 1) {
    sessions.heartbeat(`srv_${i}`, { cpuPercent: Math.random() * 100, cpus: 2, load1: 0.42, memoryUsedBytes: 1_200_000_000, memoryTotalBytes: 4_000_000_000, diskUsedBytes: 9_000_000_000, diskTotalBytes: 40_000_000_000, containers: 3 }, t0 + at + ((i * 37) % 1000));
  }
}
await settle();
const mib = (used() - before) / 1024 ** 2;
process.stdout.write(`${JSON.stringify({ mib, samples: sessions.samples('srv_0', t0 + 3_600_000).length })}\n`);
