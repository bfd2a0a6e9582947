/**
 * Test images made from Debian's static busybox (nothing can be pulled from the internet here):
 * a root filesystem tar (`/bin/busybox`, `/bin/sh`, `/www/index.html`, `/tmp`), imported into the
 * engine with `docker import`, every test image and container carrying a per-run label so that
 * clean-up removes exactly what the test made.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DockerEngine } from '../engine.js';

const run = promisify(execFile);

/** The label key every test object carries; its value is unique per test file run. */
export const testLabel = 'io.slipway.test';

/** A fresh label value, e.g. `t-1a2b3c4d`. */
export function uniqueRun(): string {
  return `t-${randomBytes(4).toString('hex')}`;
}

/** Runs the docker CLI; fails with its stderr. */
export async function dockerCli(args: string[]): Promise<string> {
  try {
    return (await run('docker', args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`docker ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

/** An uncompressed root filesystem tar holding busybox and a page at `/www/index.html` saying `page`. */
export async function busyboxRootfs(page: string): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-docker-test-'));
  try {
    const root = join(dir, 'root');
    for (const sub of ['bin', 'www', 'tmp', 'etc']) mkdirSync(join(root, sub), { recursive: true });
    copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
    symlinkSync('busybox', join(root, 'bin/sh'));
    writeFileSync(join(root, 'www/index.html'), page);
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\n');
    const tar = join(dir, 'rootfs.tar');
    await run('tar', ['--sort=name', '--mtime=@1', '--owner=0', '--group=0', '--numeric-owner', '-C', root, '-cf', tar, '.']);
    return readFileSync(tar);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Imports a busybox image as `ref`, labelled `io.slipway.test=<runId>`; CMD serves /www on 8080. */
export async function importBusyboxImage(ref: string, runId: string, page = 'hello from busybox\n'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-docker-import-'));
  try {
    const tar = join(dir, 'rootfs.tar');
    writeFileSync(tar, await busyboxRootfs(page));
    const changes = ['ENV PATH=/bin', `LABEL ${testLabel}=${runId}`, 'CMD ["/bin/busybox","httpd","-f","-p","8080","-h","/www"]'];
    await dockerCli(['import', ...changes.flatMap((c) => ['--change', c]), tar, ref]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes every container, then every image, labelled with `runId`; plus the listed references. */
export async function removeTestObjects(engine: DockerEngine, runId: string, refs: string[] = []): Promise<void> {
  for (const c of await engine.listContainers({ labels: { [testLabel]: runId }, all: true })) await engine.removeContainer(c.id, { force: true });
  for (const ref of refs) await engine.removeImage(ref, { force: true }).catch(() => undefined);
  const ids = (await dockerCli(['images', '-q', '--no-trunc', '--filter', `label=${testLabel}=${runId}`])).split('\n').filter(Boolean);
  for (const id of new Set(ids)) await engine.removeImage(id, { force: true }).catch(() => undefined);
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
