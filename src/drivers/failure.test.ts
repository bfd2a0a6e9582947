import { describe, expect, it } from 'vitest';
import { parseAdminUrl } from '../core/services.js';
import { assertName, assertUserOf, internal, redact } from './failure.js';

describe('driver guards', () => {
  it('tells resources from users, digits-only suffixes included', () => {
    expect(() => assertName('slw_0123456789', 'resource')).not.toThrow();
    expect(() => assertName('slw_0123456789_2', 'user')).not.toThrow();
    expect(() => assertName('slw_0123456789', 'user')).toThrow(/not a name Slipway made/);
    expect(() => assertName('slw_0123456789_2', 'resource')).toThrow(/not a name Slipway made/);
    expect(() => assertUserOf('slw_0123456789', 'slw_abcdefghij_1')).toThrow(/does not belong/);
  });

  it('never repeats the admin password or a given secret in an unexpected failure', () => {
    const admin = parseAdminUrl('postgres', 'postgres://u:Canary-x1@127.0.0.1:5432/postgres');
    const err = internal(admin, 'do a thing', new Error("bad 'Canary-x1' near 's3cret'"), ['s3cret']);
    expect(err.code).toBe('SLW_INTERNAL');
    expect(err.message).not.toMatch(/Canary-x1|s3cret/);
    expect(redact('a-b-a', ['a'])).toBe('***-b-***');
  });
});
