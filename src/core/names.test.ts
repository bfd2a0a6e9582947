import { describe, expect, it } from 'vitest';
import { isSlipwayError } from './errors.js';
import { assertName, isDnsLabel, suggest } from './names.js';

describe('names', () => {
  it.each(['a', 'web', 'web-shop', 'a1', '1a', 'x'.repeat(63)])('accepts %s', (name) => {
    expect(isDnsLabel(name)).toBe(true);
    expect(assertName('project', name)).toBe(name);
  });

  it.each([
    ['', 'empty'],
    ['Web', 'upper-case'],
    ['web_shop', 'characters other than'],
    ['-web', 'hyphen'],
    ['web-', 'hyphen'],
    ['x'.repeat(64), '64 characters'],
    ['wéb', 'characters other than'],
    ['a b', 'characters other than'],
    ['a.b', 'characters other than'],
  ])('refuses %j with a reason (%s) and a suggestion', (name, reason) => {
    try {
      assertName('environment', name);
      expect.fail('should have thrown');
    } catch (error) {
      expect(isSlipwayError(error) && error.code).toBe('SLW_INVALID_NAME');
      expect((error as Error).message).toContain(reason);
      expect((error as Error).message).toMatch(/e\.g\. '[a-z0-9-]+'/);
    }
  });

  it('suggests a valid name', () => {
    expect(suggest('Web_Shop!')).toBe('web-shop');
    expect(isDnsLabel(suggest('___'))).toBe(true);
    expect(isDnsLabel(suggest('A'.repeat(100)))).toBe(true);
  });
});
