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
 * In the same run and on the same data, the path a volume takes on a joined server: the agent
 * target (src/fleet/agent-target.ts) against the Docker target on the same engine. A control
 * plane (a FleetContext on an SQLite store, the agent gateway on loopback) and an agent joined to
 * it run in this process; the agent reads or writes the volume with its own Docker target and
 * streams the tar over its mTLS connection to the gateway (`PUT`/`GET /v1/transfers/{id}`), which
 * pipes it to or from here. Both sides write the export to a plain file (no hash, no signature)
 * and import from one, so agent/direct is the cost of the transfer path alone.
 *
 *   npx tsx bench/volumes.ts [--runs 3] [--write docs/benchmarks.md]
 *
 * And the check of an upload (`volume upload`: every tar header read and checked as the bytes pass,
 * then the signed file written) against writing the same file behind its signed header unchecked.
 *
 * Two data sets: 256 files of 1 MiB (random bytes) and 20,000 files of 4 KiB. The report has three
 * sections: `volumes` (Slipway vs the recipe), `volumes-agent` (through an agent vs directly) and
 * `volumes-upload` (an upload checked vs written unchecked).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify, parseArgs } from 'node:util';
import pino from 'pino';
import { startAgent, type RunningAgent } from '../src/agent/main.js';
import { loadIdentity } from '../src/agent/state.js';
import type { Target } from '../src/deploy/target.js';
import { AgentTarget } from '../src/fleet/agent-target.js';
import { InternalCa } from '../src/fleet/ca.js';
import { FleetState } from '../src/fleet/desired.js';
import { addServer, type FleetContext } from '../src/fleet/servers.js';
import { AgentSessions } from '../src/fleet/sessions.js';
import { startGateway, type RunningGateway } from '../src/server/gateway.js';
import { masterKeyring } from '../src/secrets/keyring.js';
import { backupBody, verifyBackupFile, writeBackupFile } from '../src/services/backup-file.js';
import { DockerTarget } from '../src/targets/docker-target.js';
import { DockerEngine } from '../src/targets/docker/index.js';
import { importBusyboxImage, removeTestObjects, uniqueRun } from '../src/targets/docker/test-support/busybox.js';
import { environment, project, setupContext, workspace, type TestContext } from '../test/support/service-fixtures.js';
import { changeSettings } from '../src/deploy/settings.js';
import { defaultLimits } from '../src/builder/index.js';
import type { EnvironmentAccess } from '../src/projects/projects.js';
import { uploadVolumeBackup } from '../src/volumes/upload.js';
import { median, report, writeSection } from './support.js';

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

// ---- through an agent: a control plane and a joined agent in this process ---------------------

const fleetParts: { store?: TestContext; gateway?: RunningGateway; agent?: RunningAgent } = {};

/** A FleetContext on an SQLite store, the agent gateway on loopback, an agent joined to it (its own Docker target on this engine): the agent target to it. */
async function joinAgent(): Promise<AgentTarget> {
  const store = (fleetParts.store = await setupContext('sqlite'));
  const sessions = new AgentSessions();
  const fleet: FleetContext = { db: store.db, ca: await InternalCa.open(join(work, 'ca'), keyring), sessions, state: new FleetState(store.db, keyring, sessions), gatewayUrl: null, agentCertificateMs: 3_600_000, heartbeatSeconds: 10 };
  const gateway = (fleetParts.gateway = await startGateway(fleet, { host: '127.0.0.1', port: 0 }, undefined, pino({ level: 'silent' }), null));
  fleet.gatewayUrl = gateway.url;
  const added = await addServer(fleet, store.admin, { name: 'bench', labels: {}, tokenTtlSeconds: 600 });
  let acked!: () => void;
  const beat = new Promise<void>((r) => (acked = r));
  fleetParts.agent = await startAgent({ dataDir: join(work, 'agent'), joinToken: added.joinToken, events: { heartbeatAcked: () => acked() } });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([beat, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the agent did not heartbeat within 30 s')), 30_000)))]).finally(() => clearTimeout(timer));
  return new AgentTarget('bench', loadIdentity(join(work, 'agent'))!.serverId, fleet.state);
}

/** The volume's tar from `via` into a plain file; its size. */
async function exportTo(via: Target, volume: string, file: string, name: string): Promise<number> {
  await pipeline(Readable.from(via.exportVolume!(through(volume, name))), createWriteStream(file));
  return statSync(file).size;
}

/** A plain tar file unpacked by `via` into a new volume. */
async function importFrom(via: Target, volume: string, file: string, name: string): Promise<void> {
  volumes.push(volume);
  await via.importVolume!(through(volume, name), createReadStream(file));
}

/** Wall-clock seconds, and the CPU seconds this process spent meanwhile (user and system: the control plane's and the agent's, not the engine's). */
async function timedCpu(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const before = process.cpuUsage();
  const wall = await timed(fn);
  const used = process.cpuUsage(before);
  return { wall, cpu: (used.user + used.system) / 1e6 };
}

/** Both targets, the order alternated so that neither always runs on a warm page cache. */
async function pair(i: number, agentSide: () => Promise<unknown>, directSide: () => Promise<unknown>): Promise<{ agent: { wall: number; cpu: number }; direct: { wall: number; cpu: number } }> {
  if (i % 2 === 0) {
    const agent = await timedCpu(agentSide);
    return { agent, direct: await timedCpu(directSide) };
  }
  const direct = await timedCpu(directSide);
  return { agent: await timedCpu(agentSide), direct };
}

let agentText = '';

/** An environment declaring volume `data` on the fleet's store, for uploads. */
async function uploadEnvironment(): Promise<EnvironmentAccess> {
  const store = fleetParts.store!;
  const ws = await workspace(store, 'bench', 'high');
  const p = await project(store, ws, 'bench');
  const env = await environment(store, p, 'dev');
  await changeSettings(store.db, env, { volumes: { data: '/data' } });
  return env;
}

/** `volume upload`'s server side from `file`: checked as it passes, kept as a signed backup. */
async function checkedUpload(env: EnvironmentAccess, file: string): Promise<void> {
  const ctx = { db: fleetParts.store!.db, keyring, dataDir: join(work, 'uploads'), deploy: null, enqueue: () => undefined };
  await uploadVolumeBackup(ctx, env, 'data', createReadStream(file, { highWaterMark: 64 * 1024 }), statSync(file).size, { maxBytes: 4 * 1024 ** 3, unpack: defaultLimits });
}

/** The same bytes written behind the signed header with no check (what an upload costs without one). */
async function uncheckedWrite(file: string, out: string): Promise<void> {
  await writeBackupFile(keyring, out, { kind: 'volume', workspace: 'bench', attachment: 'env/data', backup: 'u' }, async (sink) => {
    for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) if (!sink.write(chunk)) await new Promise((r) => sink.once('drain', r));
  });
  rmSync(out);
}

let uploadText = '';

async function main(): Promise<string> {
  const loadBefore = loadavg()[0] ?? 0;
  await importBusyboxImage(image, run);
  const rows: string[] = [];
  const agentRows: string[] = [];
  const agentTarget = await joinAgent();
  const uploadEnv = await uploadEnvironment();
  const uploadRows: string[] = [];
  for (const [d, set] of datasets.entries()) {
    const source = `slw-bench-${run}-src${d}`;
    log(`filling ${source} with ${set.name}`);
    await fill(source, set.script);
    const times = { sb: [] as number[], pb: [] as number[], sr: [] as number[], pr: [] as number[], raw: [] as number[], up: [] as number[], uw: [] as number[] };
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
      // The peer's tar (a plain tar of the volume, as a user would upload one), checked and kept, against written unchecked.
      if (i % 2 === 0) {
        times.up.push(await timed(() => checkedUpload(uploadEnv, theirs)));
        times.uw.push(await timed(() => uncheckedWrite(theirs, join(work, 'unchecked.tar'))));
      } else {
        times.uw.push(await timed(() => uncheckedWrite(theirs, join(work, 'unchecked.tar'))));
        times.up.push(await timed(() => checkedUpload(uploadEnv, theirs)));
      }
      const [a, b, c] = await Promise.all([fingerprint(source), fingerprint(ourCopy), fingerprint(theirCopy)]);
      if (a !== b || a !== c) throw new Error(`restored copies differ: source ${a}, slipway ${b}, peer ${c}`);
      log(`${set.name} run ${i + 1}: backup ${times.sb.at(-1)!.toFixed(2)} s vs ${times.pb.at(-1)!.toFixed(2)} s; restore ${times.sr.at(-1)!.toFixed(2)} s vs ${times.pr.at(-1)!.toFixed(2)} s (${a})`);
      rmSync(ours);
      rmSync(theirs);
    }
    const m = { sb: median(times.sb), pb: median(times.pb), sr: median(times.sr), pr: median(times.pr), raw: median(times.raw) };
    const up = { checked: median(times.up), unchecked: median(times.uw), mib: sizes.peer / 1048576 };
    uploadRows.push(`| ${set.name} | ${up.mib.toFixed(1)} | ${up.checked.toFixed(2)} (${(up.mib / up.checked).toFixed(0)} MiB/s) | ${up.unchecked.toFixed(2)} (${(up.mib / up.unchecked).toFixed(0)} MiB/s) | ${(up.checked / up.unchecked).toFixed(2)} |`);
    rows.push(`| ${set.name} | ${(sizes.slipway / 1048576).toFixed(1)} / ${(sizes.peer / 1048576).toFixed(1)} | ${m.sb.toFixed(2)} | ${m.raw.toFixed(2)} | ${m.pb.toFixed(2)} | ${(m.sb / m.pb).toFixed(2)} | ${m.sr.toFixed(2)} | ${m.pr.toFixed(2)} | ${(m.sr / m.pr).toFixed(2)} |`);

    // The same source through the agent (gateway, mTLS) and through the Docker target directly.
    const at = { ae: [] as number[], de: [] as number[], ai: [] as number[], di: [] as number[], aec: [] as number[], dec: [] as number[], aic: [] as number[], dic: [] as number[] };
    const bytes = { agent: 0, direct: 0 };
    for (let i = 0; i < runs; i += 1) {
      const viaAgent = join(work, `agent-${d}-${i}.tar`);
      const direct = join(work, `direct-${d}-${i}.tar`);
      const e = await pair(i, async () => (bytes.agent = await exportTo(agentTarget, source, viaAgent, 'agent-export')), async () => (bytes.direct = await exportTo(target, source, direct, 'direct-export')));
      if (bytes.agent !== bytes.direct) throw new Error(`the agent's tar has ${bytes.agent} bytes, the direct one ${bytes.direct}`);
      const agentCopy = `slw-bench-${run}-agent${d}-${i}`;
      const directCopy = `slw-bench-${run}-direct${d}-${i}`;
      const r = await pair(i + 1, () => importFrom(agentTarget, agentCopy, viaAgent, 'agent-import'), () => importFrom(target, directCopy, direct, 'direct-import'));
      at.ae.push(e.agent.wall);
      at.de.push(e.direct.wall);
      at.ai.push(r.agent.wall);
      at.di.push(r.direct.wall);
      at.aec.push(e.agent.cpu);
      at.dec.push(e.direct.cpu);
      at.aic.push(r.agent.cpu);
      at.dic.push(r.direct.cpu);
      const [a, b, c] = await Promise.all([fingerprint(source), fingerprint(agentCopy), fingerprint(directCopy)]);
      if (a !== b || a !== c) throw new Error(`restored copies differ: source ${a}, through the agent ${b}, direct ${c}`);
      log(`${set.name} run ${i + 1}: export ${e.agent.wall.toFixed(2)} s (CPU ${e.agent.cpu.toFixed(2)} s) through the agent vs ${e.direct.wall.toFixed(2)} s (CPU ${e.direct.cpu.toFixed(2)} s) direct; import ${r.agent.wall.toFixed(2)} s (CPU ${r.agent.cpu.toFixed(2)} s) vs ${r.direct.wall.toFixed(2)} s (CPU ${r.direct.cpu.toFixed(2)} s) (${bytes.agent} bytes; ${a})`);
      rmSync(viaAgent);
      rmSync(direct);
    }
    const am = Object.fromEntries(Object.entries(at).map(([k, v]) => [k, median(v)])) as Record<keyof typeof at, number>;
    const mib = bytes.agent / 1048576;
    const cell = (wall: number, cpu: number) => `${wall.toFixed(2)} / ${cpu.toFixed(2)} (${(mib / wall).toFixed(0)} MiB/s)`;
    agentRows.push(`| ${set.name} | ${mib.toFixed(1)} | ${cell(am.ae, am.aec)} | ${cell(am.de, am.dec)} | ${(am.ae / am.de).toFixed(2)} | ${cell(am.ai, am.aic)} | ${cell(am.di, am.dic)} | ${(am.ai / am.di).toFixed(2)} |`);
  }
  const loadAfter = loadavg()[0] ?? 0;
  const stamp = `${new Date().toISOString().slice(0, 10)}; 2 cores; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`;
  uploadText = [
    `Command: \`npx tsx bench/volumes.ts --runs ${runs} --write docs/benchmarks.md\` (the same run: ${stamp}). Median of ${runs} runs per data set. Checked: the server side of \`slipway volume upload\` (\`uploadVolumeBackup\`) reading the peer's plain tar of the volume from a file in 64 KiB chunks, as a request body arrives — every tar header read and checked (paths, types, links beneath symlinks, the unpack budget) as the bytes pass, the signed backup file written and hashed, its row and audit entry stored (SQLite). Unchecked: the same bytes written behind the same signed header, hashed, with no check and no row. The ratio is what the checks cost; the network and the restore are not in either.`,
    '',
    '| data | tar MiB | upload, checked (s) | written unchecked (s) | ratio |',
    '|---|---|---|---|---|',
    ...uploadRows,
    '',
  ].join('\n');
  agentText = [
    `Command: \`npx tsx bench/volumes.ts --runs ${runs} --write docs/benchmarks.md\` (the same run as the section above: ${stamp}). Median of ${runs} runs per data set, on the same source volumes and the local Docker engine. Through the agent: a control plane (a FleetContext on an SQLite store, the agent gateway on loopback) and an agent joined to it run in this one process; \`AgentTarget.exportVolume\` opens a transfer and sends the agent a command, the agent reads the volume with its own Docker target (the archive API on a created, never started container) and uploads the tar over its mTLS connection (\`PUT /v1/transfers/{id}\`), and the gateway pipes it into the stream read here; \`importVolume\` is the reverse (\`GET\`, the agent unpacks into a new volume). Directly: \`DockerTarget\` on the same engine. Both sides write the export to a plain file and import from one (no hash, no signature), the order alternated run by run, so agent/direct is the cost of the transfer path: TLS, the gateway's piping, the agent's HTTPS client. Each time is wall clock / the CPU this process spent meanwhile (user and system, control plane and agent together; not the engine's), each a median; the ratio is of the wall times. Both tars had the same size, and every copy restored from each was checked to hold the same files with the same contents as the source.`,
    '',
    '| data | tar MiB | export through the agent: wall / CPU (s) | export direct: wall / CPU (s) | ratio | import through the agent: wall / CPU (s) | import direct: wall / CPU (s) | ratio |',
    '|---|---|---|---|---|---|---|---|',
    ...agentRows,
    '',
  ].join('\n');
  return [
    `Command: \`npx tsx bench/volumes.ts --runs ${runs} --write docs/benchmarks.md\` (${stamp}). Median of ${runs} runs per data set, on the local Docker engine. Slipway: the target reads the volume through a created, never started container with the engine's archive API and the server writes it behind a signed header, hashing it (backup); the file's hash and signature are checked, then it is unpacked into a new volume through the archive API (restore). Peer: Docker's documented recipe (\"Back up, restore, or migrate data volumes\"), \`docker run --rm -v VOL:/v:ro -v DIR:/backup busybox tar -c -f /backup/F -C /v .\` and \`docker run --rm -v NEW:/v -v DIR:/backup busybox tar -x -f /backup/F -C /v\` (a container with a shell and tar, writing through a bind mount; no hash, no signature). \"The engine's archive read alone\" streams the same volume through the archive API and throws it away: what is left of Slipway's backup time is hashing and writing the file in the server. Every restored copy was checked to hold the same files with the same contents as the source (count and one MD5 over sorted names and contents).`,
    '',
    '| data | tar MiB (Slipway / peer) | Slipway backup (s) | of it, the engine\'s archive read alone (s) | peer backup (s) | ratio | Slipway restore (s) | peer restore (s) | ratio |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

async function teardown(): Promise<void> {
  const { agent, gateway, store } = fleetParts;
  if (agent) {
    agent.stop();
    await agent.done.catch(() => undefined);
  }
  await gateway?.close().catch(() => undefined);
  await store?.cleanup().catch(() => undefined);
  for (const v of volumes) await engine.removeVolume(v).catch(() => undefined);
  await removeTestObjects(engine, run, [image]).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
}

await report(main, teardown, { file: args.write, key: 'volumes', title: 'Volume backups: Slipway vs `docker run … tar`' });
process.stdout.write(`\n${agentText}`);
if (args.write) writeSection(args.write, 'volumes-agent', 'Volume backups on a joined server: through the agent vs directly', agentText);
process.stdout.write(`\n${uploadText}`);
if (args.write) writeSection(args.write, 'volumes-upload', 'Volume uploads: checked as they arrive vs written unchecked', uploadText);
