/** What an agent reports at each heartbeat: CPU over the interval, memory, its data directory's disk, containers on its engine. */
import { statfs } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { ServerMetrics } from '../api/servers.js';

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.idle + c.times.user + c.times.nice + c.times.sys + c.times.irq;
  }
  return { idle, total };
}

/** A sampler: each call gives the CPU busy share since the previous call. */
export function metricsSampler(dataDir: string, containers: () => Promise<number | null>): () => Promise<ServerMetrics> {
  let last = cpuTimes();
  return async () => {
    const now = cpuTimes();
    const dTotal = now.total - last.total;
    const cpuPercent = dTotal > 0 ? Math.max(0, Math.min(100, (1 - (now.idle - last.idle) / dTotal) * 100)) : 0;
    last = now;
    const fs = await statfs(dataDir);
    return {
      cpuPercent: Math.round(cpuPercent * 10) / 10,
      cpus: cpus().length,
      load1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
      memoryUsedBytes: totalmem() - freemem(),
      memoryTotalBytes: totalmem(),
      diskUsedBytes: (fs.blocks - fs.bfree) * fs.bsize,
      diskTotalBytes: fs.blocks * fs.bsize,
      containers: await containers().catch(() => null),
    };
  };
}
