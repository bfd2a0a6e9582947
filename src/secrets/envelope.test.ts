import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { masterKeyCheck, openSecret, sealSecret, workspaceKey, type SecretIdentity } from './envelope.js';

const key = randomBytes(32);
const id: SecretIdentity = { workspaceId: 'ws_1', projectId: 'prj_1', scope: 'base', name: 'DB_PASSWORD', version: 3 };
const value = 'hunter2 — ünïcødé ✓';

/** Flips one bit of byte `index` of the decoded part `part` (1..4) of an envelope. */
function tamper(envelope: string, part: number, index: number): string {
  const parts = envelope.split('.');
  const bytes = Buffer.from(parts[part] ?? '', 'base64url');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('secret envelope', () => {
  it('round-trips a value and keeps it out of the stored form', () => {
    const envelope = sealSecret(key, id, value);
    expect(envelope.split('.')).toHaveLength(5);
    expect(envelope.startsWith('v1.')).toBe(true);
    expect(envelope).not.toContain('hunter2');
    expect(openSecret(key, id, envelope)).toBe(value);
    expect(openSecret(key, id, sealSecret(key, id, ''))).toBe('');
  });

  it('fails when any byte of any part is altered', () => {
    const envelope = sealSecret(key, id, value);
    const parts = envelope.split('.');
    let checked = 0;
    for (let part = 1; part <= 4; part++) {
      const length = Buffer.from(parts[part] ?? '', 'base64url').length;
      expect(length).toBeGreaterThan(0);
      for (let i = 0; i < length; i++) {
        const altered = tamper(envelope, part, i);
        expect(altered).not.toBe(envelope);
        expect(() => openSecret(key, id, altered)).toThrow(expect.objectContaining({ code: 'SLW_INTERNAL', message: expect.stringContaining('failed authentication') }));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(12 + 48 + 12 + 16);
  });

  it('refuses an unknown format, a truncated envelope and a swapped part', () => {
    const envelope = sealSecret(key, id, value);
    expect(() => openSecret(key, id, envelope.replace(/^v1\./, 'v2.'))).toThrow(/unknown envelope format/);
    expect(() => openSecret(key, id, envelope.split('.').slice(0, 4).join('.'))).toThrow(/unknown envelope format/);
    const other = sealSecret(key, id, value).split('.');
    const mixed = envelope.split('.');
    mixed[4] = other[4] ?? '';
    expect(() => openSecret(key, id, mixed.join('.'))).toThrow(expect.objectContaining({ code: 'SLW_INTERNAL' }));
  });

  it.each<[string, Partial<SecretIdentity>]>([
    ['workspace', { workspaceId: 'ws_2' }],
    ['project', { projectId: 'prj_2' }],
    ['scope', { scope: 'env_1' }],
    ['name', { name: 'DB_PASSWORD2' }],
    ['version', { version: 4 }],
  ])('fails to open under another %s', (_what, change) => {
    const envelope = sealSecret(key, id, value);
    expect(() => openSecret(key, { ...id, ...change }, envelope)).toThrow(expect.objectContaining({ code: 'SLW_INTERNAL' }));
    expect(openSecret(key, id, envelope)).toBe(value);
  });

  it('fails with a different master key', () => {
    const envelope = sealSecret(key, id, value);
    expect(() => openSecret(randomBytes(32), id, envelope)).toThrow(/wrong master key or altered data/);
  });

  it('seals the same value differently each time', () => {
    const a = sealSecret(key, id, value);
    const b = sealSecret(key, id, value);
    expect(a).not.toBe(b);
    const pa = a.split('.');
    const pb = b.split('.');
    for (let i = 1; i <= 4; i++) expect(pa[i]).not.toBe(pb[i]);
    expect(openSecret(key, id, a)).toBe(openSecret(key, id, b));
  });

  it('derives a distinct workspace key per workspace and master key', () => {
    const other = randomBytes(32);
    expect(workspaceKey(key, 'ws_1')).toHaveLength(32);
    expect(workspaceKey(key, 'ws_1').equals(workspaceKey(key, 'ws_1'))).toBe(true);
    expect(workspaceKey(key, 'ws_1').equals(workspaceKey(key, 'ws_2'))).toBe(false);
    expect(workspaceKey(key, 'ws_1').equals(workspaceKey(other, 'ws_1'))).toBe(false);
  });

  it('gives a stable master key check that differs per key and does not reveal the key', () => {
    const other = randomBytes(32);
    expect(masterKeyCheck(key)).toBe(masterKeyCheck(Buffer.from(key)));
    expect(masterKeyCheck(key)).not.toBe(masterKeyCheck(other));
    expect(masterKeyCheck(key)).toMatch(/^[0-9a-f]{32}$/);
    expect(masterKeyCheck(key)).not.toContain(key.toString('hex').slice(0, 16));
  });
});
