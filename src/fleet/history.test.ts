/**
 * The metrics history behind the panel's charts: the last hour, every beat of the last minute,
 * thinned to one per 9 s before that; every beat of the default 10 s interval kept; values read
 * back as they came (a null container count too); a forgotten server has none.
 */
import { describe, expect, it } from 'vitest';
import type { ServerMetrics } from '../api/servers.js';
import { historyMs, MetricsHistory, minSpacingMs } from './history.js';

const metrics = (i: number): ServerMetrics => ({ cpuPercent: (i % 1000) / 10, cpus: 4, load1: 0.25, memoryUsedBytes: 1_000_000_000 + i, memoryTotalBytes: 8_000_000_000, diskUsedBytes: 40_000_000_000 + i, diskTotalBytes: 100_000_000_000, containers: i % 2 ? null : i % 7 });

describe('metrics history', () => {
  it('keeps an hour of beats every second: all of the last minute, one per 9 s before', () => {
    const h = new MetricsHistory();
    const t0 = 1_700_000_000_000;
    const beats = 2 * 3600;
    for (let i = 0; i < beats; i += 1) h.record('s', t0 + i * 1000, metrics(i));
    const now = t0 + (beats - 1) * 1000;
    const samples = h.samples('s', now);
    expect(samples[0]!.at).toBeGreaterThanOrEqual(now - historyMs);
    expect(samples.at(-1)).toEqual({ at: now, metrics: metrics(beats - 1) });
    const recent = samples.filter((x) => x.at >= now - 60_000);
    expect(recent.length).toBeGreaterThanOrEqual(59);
    const older = samples.filter((x) => x.at < now - 60_000);
    for (let k = 1; k < older.length; k += 1) expect(older[k]!.at - older[k - 1]!.at).toBeGreaterThanOrEqual(minSpacingMs);
    // The hour is covered: no gap much wider than the spacing.
    expect(older.length).toBeGreaterThan((historyMs - 60_000) / 10_000);
    for (const s of samples) expect(s.metrics).toEqual(metrics((s.at - t0) / 1000));
  });

  it('keeps every beat of the default interval (10 s, jittered by 10 %) for the hour', () => {
    const h = new MetricsHistory();
    let at = 1_700_000_000_000;
    const all: number[] = [];
    for (let i = 0; i < 800; i += 1) {
      at += 9_000 + ((i * 7919) % 2001);
      all.push(at);
      h.record('s', at, metrics(i));
    }
    expect(h.samples('s', at).map((x) => x.at)).toEqual(all.filter((t) => t >= at - historyMs));
  });

  it('forgets a server', () => {
    const h = new MetricsHistory();
    h.record('s', 1000, metrics(1));
    expect(h.samples('s', 1000)).toHaveLength(1);
    h.forget('s');
    expect(h.samples('s', 1000)).toEqual([]);
    expect(h.samples('unknown', 1000)).toEqual([]);
  });
});
