import { describe as suite, expect, it } from 'vitest';
import { describe, percentOf, polyline, series } from './chart';
import type { ServerMetrics } from './types';

const metrics = (cpuPercent: number, memoryUsedBytes: number, diskUsedBytes: number): ServerMetrics => ({ cpuPercent, cpus: 4, load1: 0.5, memoryUsedBytes, memoryTotalBytes: 1000, diskUsedBytes, diskTotalBytes: 4000, containers: 3 });

suite('chart', () => {
  it('turns heartbeats into percentage series', () => {
    const samples = [
      { at: '2026-01-01T12:00:00Z', metrics: metrics(10, 250, 1000) },
      { at: '2026-01-01T12:00:10Z', metrics: metrics(30, 500, 2000) },
    ];
    expect(series('cpu', samples)).toEqual([
      { at: Date.parse('2026-01-01T12:00:00Z'), value: 10 },
      { at: Date.parse('2026-01-01T12:00:10Z'), value: 30 },
    ]);
    expect(series('memory', samples).map((p) => p.value)).toEqual([25, 50]);
    expect(series('disk', samples).map((p) => p.value)).toEqual([25, 50]);
    expect(percentOf('memory', { ...metrics(0, 0, 0), memoryTotalBytes: 0 })).toBe(0);
  });

  it('draws time left to right and 0-100 % bottom to top, clamped', () => {
    const points = [
      { at: 0, value: 0 },
      { at: 500, value: 50 },
      { at: 1000, value: 140 },
    ];
    expect(polyline(points, 200, 40)).toBe('0,40 100,20 200,0');
    expect(polyline([{ at: 5, value: 25 }], 200, 40)).toBe('200,30');
    expect(polyline([], 200, 40)).toBe('');
  });

  it('says what the chart shows in words', () => {
    const points = [
      { at: 0, value: 3 },
      { at: 6 * 60_000, value: 40.4 },
      { at: 12 * 60_000, value: 12.2 },
    ];
    expect(describe('CPU', points)).toBe('CPU: 12% now, lowest 3%, highest 40% over 12 min (3 samples)');
    expect(describe('CPU', [{ at: 0, value: 7 }])).toBe('CPU: 7% now, lowest 7%, highest 7% over the last minute (1 sample)');
    expect(describe('Disk', [])).toBe('Disk: no samples yet');
  });
});
