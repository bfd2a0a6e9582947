import { describe, expect, it } from 'vitest';
import { ago, duration, prunedNote, relative, formatBytes, shortDigest, stepTimings } from './format';

describe('format', () => {
  it('shortens digests to 12 hex digits', () => {
    expect(shortDigest(`sha256:${'ab'.repeat(32)}`)).toBe('abababababab');
    expect(shortDigest(null)).toBe('—');
  });

  it('writes sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(50 * 1024 * 1024)).toBe('50 MiB');
  });

  it('writes times relative to now and durations', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(ago('2026-01-01T11:59:50Z', now)).toBe('just now');
    expect(ago('2026-01-01T11:55:00Z', now)).toBe('5 min ago');
    expect(ago('2025-12-30T12:00:00Z', now)).toBe('2 d ago');
    expect(relative('2026-01-01T18:00:00Z', now)).toBe('in 6 h');
    expect(relative('2026-01-01T12:20:00Z', now)).toBe('in 20 min');
    expect(relative('2026-01-01T12:00:10Z', now)).toBe('just now');
    expect(relative('2026-01-01T11:55:00Z', now)).toBe('5 min ago');
    expect(duration(420)).toBe('0.42 s');
    expect(duration(125_000)).toBe('2 min 5 s');
  });

  it('says when retention removed a log, and nothing while it is all there', () => {
    expect(prunedNote('2026-03-01T04:05:06.789Z')).toBe('Logs removed by retention on 2026-03-01 04:05 UTC (server --keep-logs).');
    expect(prunedNote(null)).toBeNull();
  });

  it('times each step of a deploy log until the next one starts', () => {
    const lines = [
      { step: 'pull', at: '2026-01-01T00:00:00.000Z' },
      { step: 'pull', at: '2026-01-01T00:00:00.300Z' },
      { step: 'start', at: '2026-01-01T00:00:00.500Z' },
      { step: 'done', at: '2026-01-01T00:00:01.500Z' },
    ];
    expect(stepTimings(lines, '2026-01-01T00:00:01.600Z')).toEqual([
      { step: 'pull', startedAt: '2026-01-01T00:00:00.000Z', ms: 500 },
      { step: 'start', startedAt: '2026-01-01T00:00:00.500Z', ms: 1000 },
      { step: 'done', startedAt: '2026-01-01T00:00:01.500Z', ms: 100 },
    ]);
  });
});
