import { describe, expect, it } from 'vitest';
import { assertCan, assertCanGrant, assertMayActOnToken, can, parseRole, permissions, roles, weaker } from './roles.js';

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

  it('lets a member act on their own tokens; others only as an instance admin (create) and never on a higher role or, unless owner, an owner', () => {
    const holder = (role: 'owner' | 'admin' | 'developer') => ({ role, email: 'x@example.com' });
    const actor = (role: 'owner' | 'admin', isHolder = false, instanceAdmin = false) => ({ role, isHolder, instanceAdmin });
    expect(() => assertMayActOnToken('create', actor('admin', true), holder('admin'))).not.toThrow();
    expect(() => assertMayActOnToken('create', actor('owner'), holder('developer'))).toThrow(expect.objectContaining({ code: 'SLW_FORBIDDEN' }));
    expect(() => assertMayActOnToken('create', actor('owner', false, true), holder('developer'))).not.toThrow();
    expect(() => assertMayActOnToken('create', actor('admin', false, true), holder('owner'))).toThrow(/only an owner/);
    expect(() => assertMayActOnToken('revoke', actor('admin'), holder('owner'))).toThrow(expect.objectContaining({ code: 'SLW_FORBIDDEN' }));
    expect(() => assertMayActOnToken('revoke', actor('admin'), holder('admin'))).not.toThrow();
    expect(() => assertMayActOnToken('revoke', actor('owner'), holder('owner'))).not.toThrow();
    expect(() => assertMayActOnToken('revoke', { role: 'developer', isHolder: false, instanceAdmin: false }, holder('admin'))).toThrow(expect.objectContaining({ code: 'SLW_ROLE_TOO_HIGH' }));
  });
});
