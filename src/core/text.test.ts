import { describe, expect, it } from 'vitest';
import { findNul } from './text.js';

describe('findNul', () => {
  it('finds a NUL in a string, an array item, an object value or key, and says where', () => {
    expect(findNul('a\u0000b', 'path.workspace')).toBe('path.workspace');
    expect(findNul(['ok', 'x\u0000'], 'query.tag')).toBe('query.tag.1');
    expect(findNul({ set: { A: 'ok', B: '\u0000' } }, 'body')).toBe('body.set.B');
    expect(findNul({ ['K\u0000']: 'v' }, 'body')).toBe('body (a key)');
  });

  it('passes text without NUL, other control characters and non-strings', () => {
    expect(findNul({ a: 'tab\there', b: ['日本', '😀'], c: 1, d: null, e: true }, 'body')).toBeUndefined();
    expect(findNul('%00', 'path')).toBeUndefined();
  });
});
