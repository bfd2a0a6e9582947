import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMasterKey } from './master-key.js';

describe('master key file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-master-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a 0600 file holding 32 random bytes in base64, then reads the same key back', () => {
    const file = join(dir, 'master.key');
    const first = loadMasterKey(file, { create: true });
    expect(first.created).toBe(true);
    expect(first.key).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8').trim();
    expect(Buffer.from(text, 'base64').equals(first.key)).toBe(true);
    expect(Buffer.from(text, 'base64').toString('base64')).toBe(text);

    const again = loadMasterKey(file, { create: true });
    expect(again.created).toBe(false);
    expect(again.key.equals(first.key)).toBe(true);

    const other = loadMasterKey(join(dir, 'other.key'), { create: true });
    expect(other.key.equals(first.key)).toBe(false);
  });

  it('reads an existing valid file without rewriting it', () => {
    const file = join(dir, 'given.key');
    const key = randomBytes(32);
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600 });
    const loaded = loadMasterKey(file, { create: false });
    expect(loaded).toEqual({ key, created: false });
    expect(readFileSync(file, 'utf8')).toBe(`${key.toString('base64')}\n`);
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['too long', randomBytes(48).toString('base64')],
    ['not base64', 'this is not a key at all, sorry!!!!!!!!!!!!'],
    ['empty', ''],
  ])('refuses a file that is %s with SLW_MASTER_KEY_INVALID and leaves it alone', (_what, content) => {
    const file = join(dir, 'bad.key');
    writeFileSync(file, content);
    expect(() => loadMasterKey(file, { create: true })).toThrow(expect.objectContaining({ code: 'SLW_MASTER_KEY_INVALID', message: expect.stringContaining('32 bytes in base64') }));
    expect(readFileSync(file, 'utf8')).toBe(content);
  });

  it('fails on a missing file when create is false, and creates nothing', () => {
    const file = join(dir, 'missing.key');
    expect(() => loadMasterKey(file, { create: false })).toThrow(expect.objectContaining({ code: 'SLW_MASTER_KEY_INVALID', message: expect.stringContaining(file) }));
    expect(() => statSync(file)).toThrow(/ENOENT/);
  });
});
