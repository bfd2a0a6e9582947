import { describe, expect, it } from 'vitest';
import { assertCan, assertCanGrant, can, parseRole, permissions, roles, weaker } from './roles.js';

describe('roles', () => {
  it('orders roles and caps a token by its member', () => {
    expect(weaker('owner', 'viewer')).toBe('viewer');
    expect(weaker('developer', 'admin')).toBe('developer');
  });

  it('lets a viewer read and nothing else', () => {
    const allowed = (Object.keys(permissions) as Array<keyof typeof permissions>).filter((p) => can('viewer', p));
    expect(allowed.every((p) => p.endsWith('.read'))).toBe(true);
    expect(allowed).toContain('project.read');
  });

  it('keeps members and tokens away from developers', () => {
    expect(can('developer', 'member.manage')).toBe(false);
    expect(can('developer', 'token.manage')).toBe(false);
    expect(can('developer', 'config.write')).toBe(true);
    expect(can('admin', 'token.manage')).toBe(true);
    expect(() => assertCan('developer', 'token.manage')).toThrow(expect.objectContaining({ code: 'SLW_FORBIDDEN', message: expect.stringContaining("needs 'admin'") }));
  });

  it('never grants above the granter', () => {
    expect(() => assertCanGrant('admin', 'owner')).toThrow(expect.objectContaining({ code: 'SLW_ROLE_TOO_HIGH' }));
    expect(() => assertCanGrant('admin', 'admin')).not.toThrow();
    for (const r of roles) expect(() => assertCanGrant('owner', r)).not.toThrow();
  });

  it('refuses unknown roles', () => {
    expect(() => parseRole('root')).toThrow(expect.objectContaining({ code: 'SLW_UNKNOWN_ROLE' }));
  });
});
