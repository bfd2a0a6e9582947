import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { completeEntries, writeLayer, type LayerEntry } from './layer-writer.js';
import { paxRecord } from './tar-write.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-layer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function fileEntry(path: string, text: string, executable = false): LayerEntry {
  const bytes = Buffer.from(text);
  return {
    path,
    type: 'file',
    size: bytes.length,
    executable,
    open: async function* () {
      // Uneven chunks: the output must not depend on how the source is chunked.
      for (let i = 0; i < bytes.length; i += 3) yield bytes.subarray(i, i + 3);
    },
  };
}

const longDir = `app/${'n'.repeat(120)}`;
const entries: LayerEntry[] = [
  fileEntry('app/z.txt', 'zzz'),
  fileEntry('app/bin/start', '#!/bin/sh\necho hi\n', true),
  { path: 'app/current', type: 'symlink', size: 0, linkTarget: 'bin/start' },
  fileEntry(`${longDir}/${'f'.repeat(80)}.txt`, 'long'),
  fileEntry('app/a-b.txt', 'dash'),
  { path: 'app/deep-link', type: 'symlink', size: 0, linkTarget: `${'n'.repeat(120)}/${'f'.repeat(80)}.txt` },
];

describe('layer writer', () => {
  it('adds parents and sorts by path', () => {
    expect(completeEntries(entries).map((e) => e.path)).toEqual(['app', 'app/a-b.txt', 'app/bin', 'app/bin/start', 'app/current', 'app/deep-link', longDir, `${longDir}/${'f'.repeat(80)}.txt`, 'app/z.txt']);
    expect(() => completeEntries([fileEntry('a', 'x'), fileEntry('a', 'y')])).toThrow(/twice/);
  });

  it('writes a reproducible gzip tar that GNU tar reads back', async () => {
    const a = await writeLayer(entries, dir);
    const b = await writeLayer([...entries].reverse(), dir);
    expect(b).toEqual(a);
    const blob = readFileSync(a.file);
    expect(a.digest).toBe(sha(blob));
    expect(a.size).toBe(blob.length);
    expect(a.diffId).toBe(sha(gunzipSync(blob)));
    // gzip header: no name, mtime 0.
    expect(blob.subarray(0, 8).toString('hex')).toBe('1f8b080000000000');
    const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvzf', a.file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    const lines = listing.trim().split('\n');
    expect(lines[0]).toBe('drwxr-xr-x 0/0               0 1970-01-01 00:00:01 app/');
    expect(lines).toContain('-rwxr-xr-x 0/0              18 1970-01-01 00:00:01 app/bin/start');
    expect(lines).toContain('-rw-r--r-- 0/0               3 1970-01-01 00:00:01 app/z.txt');
    expect(lines).toContain('lrwxrwxrwx 0/0               0 1970-01-01 00:00:01 app/current -> bin/start');
    expect(lines).toContain(`-rw-r--r-- 0/0               4 1970-01-01 00:00:01 ${longDir}/${'f'.repeat(80)}.txt`);
    expect(lines).toContain(`lrwxrwxrwx 0/0               0 1970-01-01 00:00:01 app/deep-link -> ${'n'.repeat(120)}/${'f'.repeat(80)}.txt`);
    const names = execFileSync('tar', ['-tzf', a.file], { encoding: 'utf8' }).trim().split('\n');
    expect(names).toEqual(completeEntries(entries).map((e) => (e.type === 'dir' ? `${e.path}/` : e.path)));
    // uname/gname empty
    const raw = gunzipSync(blob);
    expect(raw.subarray(265, 265 + 64).every((x) => x === 0)).toBe(true);
  });

  it('fails when a source yields fewer bytes than its size', async () => {
    const short: LayerEntry = { path: 'x', type: 'file', size: 10, open: async function* () { yield Buffer.from('abc'); } };
    await expect(writeLayer([short], dir)).rejects.toThrow(/expected 10 bytes, got 3/);
  });

  it('writes PAX records with self-counting lengths', () => {
    expect(paxRecord('path', 'a')).toBe('9 path=a\n');
    const r = paxRecord('path', 'x'.repeat(95));
    expect(r.length).toBe(Number(r.split(' ')[0]));
  });
});
