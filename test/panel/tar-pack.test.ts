import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openArchive } from '../../src/builder/archive/archive.js';
import { packable, tarGz, type PickedFile } from '../../panel/src/tar.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-panel-tar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = new TextEncoder();
const file = (path: string, body: string): PickedFile => ({ path, data: enc.encode(body) });
const long = `site/assets/${'x'.repeat(120)}.css`;
const picked = [file('site/index.html', '<h1>hi</h1>'), file('site/.git/config', 'token'), file(long, 'body{}'), file('site/a/b/c.txt', ''), file('site/B.txt', 'upper')];

async function written(files: PickedFile[], name: string): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, Buffer.from(await (await tarGz(files)).arrayBuffer()));
  return path;
}

describe('packing a picked directory in the browser', () => {
  it('gives a tar.gz the builder reads back: files, explicit parents, a long name, no .git', async () => {
    const archive = await openArchive(await written(picked, 'a.tar.gz'), dir);
    try {
      expect(archive.format).toBe('tar.gz');
      expect(archive.entries.map((e) => `${e.type} ${e.path}`)).toEqual(['dir site', 'file site/B.txt', 'dir site/a', 'dir site/a/b', 'file site/a/b/c.txt', 'dir site/assets', `file ${long}`, 'file site/index.html']);
      const index = archive.entries.find((e) => e.path === 'site/index.html')!;
      expect(index.mode).toBe(0o644);
      expect((await archive.readSmall(index, 100)).toString()).toBe('<h1>hi</h1>');
      expect((await archive.readSmall(archive.entries.find((e) => e.path === long)!, 100)).toString()).toBe('body{}');
    } finally {
      await archive.close();
    }
    expect(execFileSync('tar', ['-tzf', join(dir, 'a.tar.gz')], { encoding: 'utf8' })).toContain('site/index.html');
  });

  it('packs the same files to the same bytes, whatever order they were picked in', async () => {
    const a = Buffer.from(await (await tarGz(picked)).arrayBuffer());
    const b = Buffer.from(await (await tarGz([...picked].reverse())).arrayBuffer());
    expect(a.equals(b)).toBe(true);
  });

  it('refuses a directory with nothing but .git, and a path that is not plain', () => {
    expect(() => packable([file('site/.git/HEAD', 'x')])).toThrow(/no file to build/);
    expect(() => packable([file('site/../etc/passwd', 'x')])).toThrow(/not a plain relative path/);
    expect(() => packable([file('/abs', 'x')])).toThrow(/not a plain relative path/);
  });
});
