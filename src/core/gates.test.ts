import { describe, expect, it } from 'vitest';
import { isSlipwayError } from './errors.js';
import { effectiveGates, judgeHealth, parseGateFlag, type HealthSample } from './gates.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (error) {
    return isSlipwayError(error) ? error.code : 'not a SlipwayError';
  }
  return undefined;
}

describe('--gate syntax', () => {
  it('reads a pipeline gate and a health gate with its options, and an empty value removes', () => {
    expect(parseGateFlag('pipeline=tests')).toEqual({ pipeline: 'tests' });
    expect(parseGateFlag('pipeline=')).toEqual({ pipeline: null });
    expect(parseGateFlag('health=30s')).toEqual({ health: { bakeSeconds: 30, maxErrorRate: 0.05, path: '/' } });
    expect(parseGateFlag('health=2m,max-error-rate=12.5%,path=/healthz')).toEqual({ health: { bakeSeconds: 120, maxErrorRate: 0.125, path: '/healthz' } });
    expect(parseGateFlag('health=10,max-error-rate=0')).toEqual({ health: { bakeSeconds: 10, maxErrorRate: 0, path: '/' } });
    expect(parseGateFlag('health=')).toEqual({ health: null });
  });

  it.each(['smoke=1', 'health', 'health=soon', 'health=1s', 'health=2h', 'health=30s,max-error-rate=100%', 'health=30s,max-error-rate=lots', 'health=30s,path=healthz', 'health=30s,color=red', 'pipeline=Bad_Name'])('refuses %s with SLW_INVALID_GATE', (text) => {
    expect(code(() => parseGateFlag(text))).toBe('SLW_INVALID_GATE');
  });
});

describe('effective gates', () => {
  it("takes the environment's own gates over the manifest's, each on its own", () => {
    const manifest = { pipeline: 'tests', health: { bakeSeconds: 60, maxErrorRate: 0.01, path: '/' } };
    const own = effectiveGates({ gateHealth: { bakeSeconds: 5, maxErrorRate: 0, path: '/x' } }, manifest);
    expect(own.health?.bakeSeconds).toBe(5);
    expect(own.pipeline).toBe('tests');
    expect(own.source).toEqual({ pipeline: 'manifest', health: 'environment' });
    expect(effectiveGates({}, null)).toEqual({ pipeline: null, health: null, source: { pipeline: 'none', health: 'none' } });
  });
});

describe('health verdict', () => {
  const base: HealthSample = { elapsedMs: 3000, bakeMs: 30_000, maxErrorRate: 0.05, requests: 15, errors: 0, replicas: 2, ready: 2, notReadyMs: 0, measured: true };
  it('bakes while clean and passes at the end of the bake', () => {
    expect(judgeHealth(base).verdict).toBe('baking');
    const passed = judgeHealth({ ...base, elapsedMs: 30_000, requests: 150, errors: 1 });
    expect(passed).toEqual({ verdict: 'passed', summary: '0.7% errors over 30 s (1 of 150 requests), replicas ready' });
  });
  it('fails as soon as the error rate is over the line, with numbers', () => {
    expect(judgeHealth({ ...base, elapsedMs: 12_000, requests: 60, errors: 22 })).toEqual({ verdict: 'failed', reason: '37% 5xx over 12 s (22 of 60 requests failed; at most 5% allowed)' });
  });
  it('does not judge the rate on too few requests, and waits for enough before passing', () => {
    expect(judgeHealth({ ...base, requests: 3, errors: 3 }).verdict).toBe('baking');
    expect(judgeHealth({ ...base, elapsedMs: 31_000, requests: 3, errors: 0 }).verdict).toBe('baking');
    expect(judgeHealth({ ...base, elapsedMs: 31_000, requests: 0, measured: false }).verdict).toBe('passed');
  });
  it('fails when replicas stay not ready past the grace', () => {
    expect(judgeHealth({ ...base, ready: 1, notReadyMs: 2000 }).verdict).toBe('baking');
    expect(judgeHealth({ ...base, ready: 1, notReadyMs: 6000 })).toMatchObject({ verdict: 'failed', reason: '1 of 2 replica(s) ready for 6 s (after 3 s of the bake)' });
  });
});
