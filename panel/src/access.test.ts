import { describe, expect, it } from 'vitest';
import { expiryFrom, mayCreate, mayManage, roleNames } from './access';

describe('roles', () => {
  it('offers creating to developers and above, managing to admins and owners', () => {
    expect(roleNames.filter(mayCreate)).toEqual(['owner', 'admin', 'developer']);
    expect(roleNames.filter(mayManage)).toEqual(['owner', 'admin']);
    expect(mayCreate(undefined)).toBe(false);
    expect(mayManage(undefined)).toBe(false);
  });
});

describe('expiryFrom', () => {
  const now = Date.parse('2025-01-01T00:00:00.000Z');
  it('reads the lifetimes the CLI takes', () => {
    expect(expiryFrom('', now)).toEqual({ expiresAt: undefined });
    expect(expiryFrom(' 90m ', now)).toEqual({ expiresAt: '2025-01-01T01:30:00.000Z' });
    expect(expiryFrom('12h', now)).toEqual({ expiresAt: '2025-01-01T12:00:00.000Z' });
    expect(expiryFrom('30d', now)).toEqual({ expiresAt: '2025-01-31T00:00:00.000Z' });
    expect(expiryFrom('2w', now)).toEqual({ expiresAt: '2025-01-15T00:00:00.000Z' });
  });

  it('says what it takes when it is not one', () => {
    for (const bad of ['30', 'd', '1y', '0h', '-1d', '1.5h']) expect(expiryFrom(bad, now)).toEqual({ error: expect.stringContaining('like 90m, 12h, 30d or 8w') });
  });
});
