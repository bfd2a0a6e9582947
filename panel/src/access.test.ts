import { describe, expect, it } from 'vitest';
import { expiryFrom, layerEditing, mayCreate, mayManage, roleNames } from './access';

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

describe('layerEditing', () => {
  it('keeps a layer that feeds an environment requiring approval for admins and owners, with a note for the others', () => {
    expect(layerEditing('developer', ['prod'], 'prod')).toEqual({ allowed: false, note: 'prod requires approval, so only an admin or owner changes what it runs with (your role here: developer); ask one to make the change.' });
    expect(layerEditing('viewer', ['prod'], undefined)).toEqual({
      allowed: false,
      note: "This layer feeds prod, which requires approval, so only an admin or owner changes it (your role here: viewer); set the key on another environment's own layer, or ask one.",
    });
    expect(layerEditing('developer', ['a', 'b', 'c', 'd', 'e'], undefined).note).toContain('feeds a, b, c and 2 more, which require approval');
    for (const role of ['admin', 'owner'] as const) expect(layerEditing(role, ['prod'], 'prod')).toEqual({ allowed: true, note: null });
  });

  it('leaves an unprotected layer as it was, and the decision to the API while the role or the layer is being read', () => {
    expect(layerEditing('developer', [], 'dev')).toEqual({ allowed: true, note: null });
    expect(layerEditing(undefined, ['prod'], 'prod')).toEqual({ allowed: true, note: null });
    expect(layerEditing('developer', undefined, 'prod')).toEqual({ allowed: true, note: null });
  });
});
