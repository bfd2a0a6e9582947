import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openArchive } from './archive.js';
import { packDirectory } from './pack-directory.js';

const root = mkdtempSync(join(tmpdir(), 'slipway-pack-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A small Node app tree with a .git, an executable, a symlink and a name over 100 bytes. */
function tree(): string {
  const dir = join(root, `tree${n++}`);
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, '.git', 'objects'), { recursive: true });
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'package.json'), '{"name":"app","scripts":{"start":"node src/main.js"}}');
  writeFileSync(join(dir, 'src', 'main.js'), 'console.log("hi")\n');
  writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n');
  chmodSync(join(dir, 'run.sh'), 0o750);
  writeFileSync(join(dir, 'src', `${'x'.repeat(120)}.txt`), 'long name');
  writeFileSync(join(dir, 'zero'), '');
  writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  symlinkSync('src/main.js', join(dir, 'main.js'));
  return dir;
}

describe('packDirectory', () => {
  it('packs a tree the builder reads back whole: files, modes, symlinks, long names, empty dirs; no .git', async () => {
    const dir = tree();
    const out = join(root, `out${n++}.tar.gz`);
    const packed = await packDirectory(dir, out);
    expect(packed.files).toBe(5);
    const archive = await openArchive(out, root);
    try {
      expect(archive.format).toBe('tar.gz');
      const byPath = new Map(archive.entries.map((e) => [e.path, e]));
      expect([...byPath.keys()].some((p) => p.startsWith('.git'))).toBe(false);
      expect(byPath.get('empty')?.type).toBe('dir');
      expect(byPath.get('run.sh')?.mode).toBe(0o755);
      expect(byPath.get('package.json')?.mode).toBe(0o644);
      expect(byPath.get('main.js')).toMatchObject({ type: 'symlink', linkTarget: 'src/main.js' });
      expect(byPath.get('zero')).toMatchObject({ type: 'file', size: 0 });
      const long = byPath.get(`src/${'x'.repeat(120)}.txt`)!;
      expect(long.type).toBe('file');
      expect(await archive.readSmall(long, 100)).toEqual(Buffer.from('long name'));
      expect(await archive.readSmall(byPath.get('src/main.js')!, 100)).toEqual(Buffer.from('console.log("hi")\n'));
    } finally {
      await archive.close();
    }
    // GNU tar reads it too.
    expect(execFileSync('tar', ['-tzf', out], { encoding: 'utf8' }).split('\n')).toContain('src/main.js');
  });

  it('packs the same tree to the same bytes, whatever the files’ times', async () => {
    const a = tree();
    const b = tree();
    utimesSync(join(b, 'package.json'), new Date('2001-01-01'), new Date('2001-01-01'));
    const outA = join(root, `out${n++}.tar.gz`);
    const outB = join(root, `out${n++}.tar.gz`);
    await packDirectory(a, outA);
    await packDirectory(b, outB);
    expect(readFileSync(outA).equals(readFileSync(outB))).toBe(true);
    writeFileSync(join(b, 'src', 'main.js'), 'console.log("changed")\n');
    await packDirectory(b, outB);
    expect(readFileSync(outA).equals(readFileSync(outB))).toBe(false);
  });

  it('refuses a FIFO by name, and a tree without a file', async () => {
    const dir = tree();
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    await expect(packDirectory(dir, join(root, `out${n++}.tar.gz`))).rejects.toMatchObject({ code: 'SLW_USAGE', message: expect.stringContaining('pipe') });
    const empty = join(root, `empty${n++}`);
    mkdirSync(join(empty, 'a', 'b'), { recursive: true });
    await expect(packDirectory(empty, join(root, `out${n++}.tar.gz`))).rejects.toMatchObject({ code: 'SLW_USAGE', message: expect.stringContaining('no file') });
  });
});
