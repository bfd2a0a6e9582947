import { describe, expect, it } from 'vitest';
import { looksLikeToken, parseDuration, tokenHint } from './tokens.js';

describe('tokens', () => {
  it('recognises the token shape', () => {
    const t = `slw_${'A'.repeat(43)}`;
    expect(looksLikeToken(t)).toBe(true);
    expect(looksLikeToken(`slx_${'A'.repeat(43)}`)).toBe(false);
    expect(looksLikeToken(`slw_${'A'.repeat(42)}`)).toBe(false);
    expect(tokenHint(t)).toBe('slw_AAAAAAAA');
  });

  it('parses lifetimes', () => {
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('1y')).toBeUndefined();
    expect(parseDuration('-1d')).toBeUndefined();
  });
});
