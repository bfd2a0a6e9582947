import { describe, expect, it } from 'vitest';
import { assertTransition, defaultRollbackTarget, isFinal, nextReleaseNumber, rollbackPoints, type ReleaseStatus } from './releases.js';

const r = (number: number, status: ReleaseStatus) => ({ number, status });

describe('releases', () => {
  it('numbers releases from 1', () => {
    expect(nextReleaseNumber(null)).toBe(1);
    expect(nextReleaseNumber(41)).toBe(42);
  });

  it('allows only forward transitions', () => {
    expect(() => assertTransition('pending', 'running')).not.toThrow();
    expect(() => assertTransition('running', 'succeeded')).not.toThrow();
    expect(() => assertTransition('succeeded', 'superseded')).not.toThrow();
    expect(() => assertTransition('succeeded', 'running')).toThrow();
    expect(() => assertTransition('failed', 'succeeded')).toThrow();
    expect(isFinal('failed')).toBe(true);
    expect(isFinal('running')).toBe(false);
  });

  it('rolls back to the newest earlier release that succeeded', () => {
    const history = [r(1, 'superseded'), r(2, 'failed'), r(3, 'superseded'), r(4, 'succeeded'), r(5, 'failed')];
    expect(defaultRollbackTarget(history)?.number).toBe(3);
    expect(defaultRollbackTarget([r(1, 'succeeded')])).toBeUndefined();
    expect(rollbackPoints(history).map((x) => x.number)).toEqual([1, 3, 4]);
  });
});
