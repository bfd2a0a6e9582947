/**
 * Each server's metrics over the last hour, for the panel's charts: every heartbeat of the last
 * minute (a new server's chart fills at once), and before that at most one sample per
 * {@link minSpacingMs}, kept as numbers in growing Float64Arrays (72 bytes a sample). Whatever the
 * heartbeat interval, a server then costs at most 33 KB: 1,000 servers ≈ 32 MiB after an hour,
 * where an object per heartbeat cost 82 MiB at the default 10 s and 803 MiB at 1 s (measured by
 * bench/agents.ts).
 *
 * @module
 */
import type { ServerMetrics } from '../api/servers.js';

/** One heartbeat's metrics. */
export interface MetricsSample {
  at: number;
  metrics: ServerMetrics;
}

export const historyMs = 3_600_000;
/** 9 s: every beat of the default 10 s interval (±10 % jitter) is kept for the hour; faster beats are thinned to that. */
export const minSpacingMs = 9_000;
/** Every beat of the last minute is kept (heartbeats are at least 1 s apart: at most ~70). */
const recentMs = 60_000;
const width = 9;

function encode(out: Float64Array, at: number, at0: number, m: ServerMetrics): void {
  out.set([at, m.cpuPercent, m.cpus, m.load1, m.memoryUsedBytes, m.memoryTotalBytes, m.diskUsedBytes, m.diskTotalBytes, m.containers ?? NaN], at0);
}

function decode(d: Float64Array, i: number): MetricsSample {
  const containers = d[i + 8]!;
  const metrics: ServerMetrics = { cpuPercent: d[i + 1]!, cpus: d[i + 2]!, load1: d[i + 3]!, memoryUsedBytes: d[i + 4]!, memoryTotalBytes: d[i + 5]!, diskUsedBytes: d[i + 6]!, diskTotalBytes: d[i + 7]!, containers: Number.isNaN(containers) ? null : containers };
  return { at: d[i]!, metrics };
}

/** A ring of samples of the last `maxAgeMs`, oldest at `start`; it grows by doubling up to `capacity`, then drops the oldest. */
class Ring {
  data = new Float64Array(8 * width);
  start = 0;
  length = 0;

  constructor(
    private readonly maxAgeMs: number,
    private readonly capacity: number,
  ) {}

  private get slots(): number {
    return this.data.length / width;
  }

  private index(k: number): number {
    return ((this.start + k) % this.slots) * width;
  }

  lastAt(): number {
    return this.length === 0 ? -Infinity : this.data[this.index(this.length - 1)]!;
  }

  firstAt(): number {
    return this.length === 0 ? Infinity : this.data[this.index(0)]!;
  }

  push(at: number, metrics: ServerMetrics): void {
    while (this.length > 0 && this.data[this.index(0)]! < at - this.maxAgeMs) {
      this.start = (this.start + 1) % this.slots;
      this.length -= 1;
    }
    if (this.length === this.slots) {
      if (this.slots < this.capacity) this.grow();
      else {
        this.start = (this.start + 1) % this.slots;
        this.length -= 1;
      }
    }
    encode(this.data, at, this.index(this.length), metrics);
    this.length += 1;
  }

  private grow(): void {
    const next = new Float64Array(Math.min(this.capacity, this.slots * 2) * width);
    for (let k = 0; k < this.length; k += 1) next.set(this.data.subarray(this.index(k), this.index(k) + width), k * width);
    this.data = next;
    this.start = 0;
  }

  /** Samples at or after `from` and before `to`. */
  between(from: number, to: number, out: MetricsSample[]): void {
    for (let k = 0; k < this.length; k += 1) {
      const i = this.index(k);
      if (this.data[i]! >= from && this.data[i]! < to) out.push(decode(this.data, i));
    }
  }
}

export class MetricsHistory {
  private readonly servers = new Map<string, { recent: Ring; hour: Ring }>();

  /** Records a heartbeat's metrics. */
  record(serverId: string, at: number, metrics: ServerMetrics): void {
    let h = this.servers.get(serverId);
    if (!h) this.servers.set(serverId, (h = { recent: new Ring(recentMs, 80), hour: new Ring(historyMs, Math.ceil(historyMs / minSpacingMs)) }));
    h.recent.push(at, metrics);
    if (at - h.hour.lastAt() >= minSpacingMs) h.hour.push(at, metrics);
  }

  /** The server's samples of the last hour, oldest first: the thinned ones, then every one of the last minute. */
  samples(serverId: string, now = Date.now()): MetricsSample[] {
    const h = this.servers.get(serverId);
    if (!h) return [];
    const out: MetricsSample[] = [];
    const cut = h.recent.firstAt();
    h.hour.between(now - historyMs, cut, out);
    h.recent.between(now - historyMs, Infinity, out);
    return out;
  }

  forget(serverId: string): void {
    this.servers.delete(serverId);
  }
}
