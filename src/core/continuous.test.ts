import { describe, expect, it } from 'vitest';
import { compileContinuous, continuousDefaults, continuousOf } from './continuous.js';

describe('continuous options', () => {
  it('changes the fields given and keeps the others', () => {
    const once = compileContinuous({ canary: 0, bake: '2m' });
    expect(once).toEqual({ ...continuousDefaults, canary: 0, bakeSeconds: 120 });
    expect(compileContinuous({ batch: ' 3 ', failureBudget: '10%' }, once)).toEqual({ canary: 0, batch: '3', parallel: 5, bakeSeconds: 120, failureBudget: '10%' });
    expect(compileContinuous({ bake: 0 }, once).bakeSeconds).toBe(0);
  });

  it('refuses each bad option by its flag', () => {
    expect(() => compileContinuous({ canary: -1 })).toThrow(/--continuous-canary -1/);
    expect(() => compileContinuous({ canary: 1.5 })).toThrow(/--continuous-canary 1.5/);
    expect(() => compileContinuous({ parallel: 0 })).toThrow(/--continuous-parallel 0: give 1 to 50/);
    expect(() => compileContinuous({ bake: '1s' })).toThrow(/--continuous-bake 1s: bake/);
    expect(() => compileContinuous({ bake: 'soon' })).toThrow(/--continuous-bake 'soon' is not a duration/);
    expect(() => compileContinuous({ batch: '0%' })).toThrow(/--continuous-batch 0% moves no site/);
    expect(() => compileContinuous({ batch: 'half' })).toThrow(/--continuous-batch 'half' is a number of sites or a percentage/);
    expect(() => compileContinuous({ failureBudget: '101%' })).toThrow(/--continuous-budget 101% is above 100%/);
    try {
      compileContinuous({ parallel: 51 });
    } catch (error) {
      expect((error as { code: string }).code).toBe('SLW_VALIDATION');
    }
  });

  it('reads stored options over the defaults, and null as the defaults', () => {
    expect(continuousOf(null)).toBe(continuousDefaults);
    expect(continuousOf(JSON.stringify({ parallel: 9 }))).toEqual({ ...continuousDefaults, parallel: 9 });
  });
});
