/**
 * Volume backups: Slipway's `volume backup` / `volume restore` data path against the recipe
 * Docker's documentation gives for backing up a volume (`docker run --rm -v VOL:/v busybox tar
 * -c -C /v .` into a file, and `tar -x` from it into a new volume), on the same engine, the same
 * data, in one run.
 *
 * Slipway's side is what the server does: the target reads the volume through a created, never
 * started container with the engine's archive API, and the server writes it behind a signed
 * header while hashing it (SHA-256); a restore checks the file's hash and signature, then unpacks
 * it into a new volume through the archive API. The peer's side runs a busybox container with a
 * shell and `tar` (an image the app's own may not have) and neither hashes nor signs.
 *
 *   npx tsx bench/volumes.ts [--runs 3] [--write docs/benchmarks.md]
 *
 * Two data sets: 256 files of 1 MiB (random bytes) and 20,000 files of 4 KiB.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify, parseArgs } from 'node:util';
import { masterKeyring } from '../src/secrets/keyring.js';
import { backupBody, verifyBackupFile, writeBackupFile } from '../src/services/backup-file.js';
import { DockerTarget } from '../src/targets/docker-target.js';
import { DockerEngine } from '../src/targets/docker/index.js';
import { importBusyboxImage, removeTestObjects, uniqueRun } from '../src/targets/docker/test-support/busybox.js';
import { median, report } from './support.js';

const args = parseArgs({ options: { runs: { type: 'string', default: '3' }, write: { type: 'string' } } }).values;
const runs = Math.max(1, Number(args.runs));
const log = (line: string) => process.stderr.write(`${line}\n`);
const exec = promisify(execFile);

const run = uniqueRun();
const image = `slipway-bench-volumes:${run}`;
const engine = new DockerEngine();
const target = new DockerTarget({ engine });
const keyring = masterKeyring(randomBytes(32));
const work = mkdtempSync(join(tmpdir(), 'slipway-bench-volumes-'));
const volumes: string[] = [];

const datasets = [
  { name: '256 × 1 MiB', script: 'for i in $(seq 1 256); do head -c 1048576 /dev/urandom > /v/f$i; done' },
  { name: '20,000 × 4 KiB', script: 'for d in $(seq 1 20); do mkdir /v/d$d; for i in $(seq 1 1000); do head -c 4096 /dev/urandom > /v/d$d/f$i; done; done' },
];

async function fill(volume: string, script: string): Promise<void> {
  volumes.push(volume);
  await exec('docker', ['run', '--rm', '-v', `${volume}:/v`, '--label', `io.slipway.test=${run}`, image, '/bin/sh', '-c', script], { maxBuffer: 1 << 20 });
}

/** Docker's documented recipe: `docker run --rm -v VOL:/v:ro -v DIR:/backup busybox tar -c -f /backup/FILE -C /v .`. */
async function peerBackup(volume: string, file: string): Promise<void> {
  await exec('docker', ['run', '--rm', '-v', `${volume}:/v:ro`, '-v', `${work}:/backup`, image, '/bin/busybox', 'tar', '-c', '-f', `/backup/${basename(file)}`, '-C', '/v', '.']);
}

/** …and its restore: `docker run --rm -v NEW:/v -v DIR:/backup busybox tar -x -f /backup/FILE -C /v`. */
async function peerRestore(volume: string, file: string): Promise<void> {
  volumes.push(volume);
  await exec('docker', ['run', '--rm', '-v', `${volume}:/v`, '-v', `${work}:/backup:ro`, image, '/bin/busybox', 'tar', '-x', '-f', `/backup/${basename(file)}`, '-C', '/v']);
}

const through = (volume: string, name: string) => ({ name: `slw-bench-${run}-${name}`, volume, path: '/v', image, registryAuth: null, labels: { 'io.slipway.test': run } });

async function slipwayBackup(volume: string, file: string): Promise<{ size: number; sha256: string }> {
  return writeBackupFile(keyring, file, { kind: 'volume', workspace: 'bench', attachment: `env/${volume}`, backup: 'b' }, async (out) => {
    for await (const chunk of target.exportVolume(through(volume, 'export'))) if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  });
}

/** The engine's archive API alone: the volume read through a created container and thrown away (no hash, no file). */
async function archiveOnly(volume: string): Promise<void> {
  for await (const chunk of target.exportVolume(through(volume, 'read'))) void chunk;
}

async function slipwayRestore(volume: string, file: string, stored: { size: number; sha256: string }, source: string): Promise<void> {
  volumes.push(volume);
  await verifyBackupFile(keyring, file, { kind: 'volume', workspace: 'bench', attachment: `env/${source}`, backup: 'b' }, stored);
  await target.importVolume(through(volume, 'import'), backupBody(file));
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

/** The volume's files: how many, and one MD5 over their sorted names and contents (what a restore must give back). */
async function fingerprint(volume: string): Promise<string> {
  const { stdout } = await exec('docker', ['run', '--rm', '-v', `${volume}:/v:ro`, image, '/bin/sh', '-c', 'cd /v && find . -type f | sort > /tmp/list && wc -l < /tmp/list && (cat /tmp/list; xargs cat < /tmp/list) | md5sum'], { maxBuffer: 1 << 20 });
  return stdout.trim().split(/\s+/).slice(0, 2).join(' files, md5 ');
}

async function main(): Promise<string> {
  const loadBefore = loadavg()[0] ?? 0;
  await importBusyboxImage(image, run);
  const rows: string[] = [];
  for (const [d, set] of datasets.entries()) {
    const source = `slw-bench-${run}-src${d}`;
    log(`filling ${source} with ${set.name}`);
    await fill(source, set.script);
    const times = { sb: [] as number[], pb: [] as number[], sr: [] as number[], pr: [] as number[], raw: [] as number[] };
    let sizes = { slipway: 0, peer: 0 };
    for (let i = 0; i < runs; i += 1) {
      const ours = join(work, `ours-${d}-${i}.tar`);
      const theirs = join(work, `theirs-${d}-${i}.tar`);
      let stored = { size: 0, sha256: '' };
      // Alternated so that neither side always runs on a warm page cache.
      if (i % 2 === 0) {
        times.sb.push(await timed(async () => (stored = await slipwayBackup(source, ours))));
        times.pb.push(await timed(() => peerBackup(source, theirs)));
      } else {
        times.pb.push(await timed(() => peerBackup(source, theirs)));
        times.sb.push(await timed(async () => (stored = await slipwayBackup(source, ours))));
      }
      times.raw.push(await timed(() => archiveOnly(source)));
      sizes = { slipway: stored.size, peer: statSync(theirs).size };
      const ourCopy = `slw-bench-${run}-ours${d}-${i}`;
      const theirCopy = `slw-bench-${run}-theirs${d}-${i}`;
      times.sr.push(await timed(() => slipwayRestore(ourCopy, ours, stored, source)));
      times.pr.push(await timed(() => peerRestore(theirCopy, theirs)));
      const [a, b, c] = await Promise.all([fingerprint(source), fingerprint(ourCopy), fingerprint(theirCopy)]);
      if (a !== b || a !== c) throw new Error(`restored copies differ: source ${a}, slipway ${b}, peer ${c}`);
      log(`${set.name} run ${i + 1}: backup ${times.sb.at(-1)!.toFixed(2)} s vs ${times.pb.at(-1)!.toFixed(2)} s; restore ${times.sr.at(-1)!.toFixed(2)} s vs ${times.pr.at(-1)!.toFixed(2)} s (${a})`);
      rmSync(ours);
      rmSync(theirs);
    }
    const m = { sb: median(times.sb), pb: median(times.pb), sr: median(times.sr), pr: median(times.pr), raw: median(times.raw) };
    rows.push(`| ${set.name} | ${(sizes.slipway / 1048576).toFixed(1)} / ${(sizes.peer / 1048576).toFixed(1)} | ${m.sb.toFixed(2)} | ${m.raw.toFixed(2)} | ${m.pb.toFixed(2)} | ${(m.sb / m.pb).toFixed(2)} | ${m.sr.toFixed(2)} | ${m.pr.toFixed(2)} | ${(m.sr / m.pr).toFixed(2)} |`);
  }
  const loadAfter = loadavg()[0] ?? 0;
  return [
    `Command: \`npx tsx bench/volumes.ts --runs ${runs} --write docs/benchmarks.md\` (${new Date().toISOString().slice(0, 10)}; 2 cores; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after). Median of ${runs} runs per data set, on the local Docker engine. Slipway: the target reads the volume through a created, never started container with the engine's archive API and the server writes it behind a signed header, hashing it (backup); the file's hash and signature are checked, then it is unpacked into a new volume through the archive API (restore). Peer: Docker's documented recipe (\"Back up, restore, or migrate data volumes\"), \`docker run --rm -v VOL:/v:ro -v DIR:/backup busybox tar -c -f /backup/F -C /v .\` and \`docker run --rm -v NEW:/v -v DIR:/backup busybox tar -x -f /backup/F -C /v\` (a container with a shell and tar, writing through a bind mount; no hash, no signature). \"The engine's archive read alone\" streams the same volume through the archive API and throws it away: what is left of Slipway's backup time is hashing and writing the file in the server. Every restored copy was checked to hold the same files with the same contents as the source (count and one MD5 over sorted names and contents).`,
    '',
    '| data | tar MiB (Slipway / peer) | Slipway backup (s) | of it, the engine\'s archive read alone (s) | peer backup (s) | ratio | Slipway restore (s) | peer restore (s) | ratio |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

async function teardown(): Promise<void> {
  for (const v of volumes) await engine.removeVolume(v).catch(() => undefined);
  await removeTestObjects(engine, run, [image]).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}

await report(main, teardown, { file: args.write, key: 'volumes', title: 'Volume backups: Slipway vs `docker run … tar`' });
