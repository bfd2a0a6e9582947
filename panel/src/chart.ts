/**
 * The servers' charts, as numbers: a heartbeat history turned into CPU, memory and disk series
 * (percentages), the SVG polyline of a series in a fixed box, and the sentence a screen reader
 * hears instead of the picture. Pure.
 */
import type { ServerMetrics } from './types';

export interface Point {
  /** Milliseconds since the epoch. */
  at: number;
  /** 0-100. */
  value: number;
}

export type SeriesName = 'cpu' | 'memory' | 'disk';

const share = (used: number, total: number) => (total > 0 ? (used / total) * 100 : 0);

/** One metric as a percentage: CPU busy, memory used, disk used. */
export function percentOf(name: SeriesName, m: ServerMetrics): number {
  if (name === 'cpu') return m.cpuPercent;
  if (name === 'memory') return share(m.memoryUsedBytes, m.memoryTotalBytes);
  return share(m.diskUsedBytes, m.diskTotalBytes);
}

export function series(name: SeriesName, samples: { at: string; metrics: ServerMetrics }[]): Point[] {
  return samples.map((s) => ({ at: Date.parse(s.at), value: percentOf(name, s.metrics) }));
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * The polyline's points ("x,y x,y …") in a width × height box: time runs left to right from the
 * first sample to the last (a lone sample sits at the right edge), 0 % at the bottom, 100 % at the top.
 */
export function polyline(points: Point[], width: number, height: number): string {
  if (points.length === 0) return '';
  const first = points[0]!.at;
  const span = points[points.length - 1]!.at - first;
  return points
    .map((p) => {
      const x = span > 0 ? ((p.at - first) / span) * width : width;
      const y = height - (Math.min(100, Math.max(0, p.value)) / 100) * height;
      return `${round(x)},${round(y)}`;
    })
    .join(' ');
}

/** "CPU: 12% now, lowest 3%, highest 40% over 12 min (45 samples)" — what the chart shows, in words. */
export function describe(label: string, points: Point[]): string {
  if (points.length === 0) return `${label}: no samples yet`;
  const values = points.map((p) => p.value);
  const pct = (v: number) => `${Math.round(v)}%`;
  const minutes = Math.round((points[points.length - 1]!.at - points[0]!.at) / 60_000);
  const over = minutes >= 1 ? `over ${minutes} min` : 'over the last minute';
  const count = `${points.length} sample${points.length === 1 ? '' : 's'}`;
  return `${label}: ${pct(values[values.length - 1]!)} now, lowest ${pct(Math.min(...values))}, highest ${pct(Math.max(...values))} ${over} (${count})`;
}
