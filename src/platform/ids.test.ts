import { describe, expect, it } from 'vitest';
import { newId } from './ids.js';

describe('ids', () => {
  it('have the prefix, 12 hex of milliseconds and 16 hex of randomness', () => {
    expect(newId('prj', 0x0192f3a4b5c6)).toMatch(/^prj_0192f3a4b5c6_[0-9a-f]{16}$/);
  });

  it('strictly increase within one millisecond and when the clock steps back', () => {
    const now = Date.now() + 10_000;
    const ids = [newId('aud', now), newId('aud', now), newId('aud', now), newId('aud', now - 5_000), newId('aud', now + 1)];
    for (let i = 1; i < ids.length; i += 1) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(ids[3]!.slice(4, 16)).toBe(now.toString(16).padStart(12, '0'));
  });
});
