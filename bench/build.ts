/**
 * `slipway build` of a 50 MB JAR against `docker build` + `docker push` of the equivalent
 * Dockerfile, both ending with the image in the same Slipway registry, side by side in one run,
 * with the ratio.
 *
 * Set-up: one `slipway server` on loopback (SLIPWAY_LOG_LEVEL=warn); a small Java base image
 * (a jlink'd runtime from this machine's JDK plus busybox) is imported into the local Docker
 * engine and pushed into Slipway as `HOST/bench/base:java`, so both sides start with the base at
 * hand: Slipway reads it from its own store, docker has it in its local image store (and mounts
 * its layers across repositories on push). Each run makes a fresh JAR (a tiny HTTP app plus
 * `--pad-mb` MB of random, incompressible bytes, stored uncompressed) and measures wall time:
 *
 * - Slipway, cold: `slipway build app.jar -w bench -p sN --version 1.0.0 --runtime java --base HOST/bench/base:java`
 *   (CLI start, upload, build on the server, image stored under the version tag).
 * - Slipway, rebuild: the same command again (same JAR): must give the same digest, no new blob.
 * - docker, cold: `docker build -t HOST/bench/dN:1.0.0 CTX` + `docker push HOST/bench/dN:1.0.0`
 *   with `FROM HOST/bench/base:java` / `COPY app.jar /app/app.jar` / `ENTRYPOINT [...]`. The
 *   engine here is 20.10 without buildx, so this is the classic builder (DOCKER_BUILDKIT=0).
 *   Before each cold build `docker builder prune -af` runs and the previous run's image is
 *   removed, so the app layer is never cached; the base stays in the local image store.
 * - docker, rebuild: the same build + push again (the COPY step is a cache hit; the push finds
 *   every layer already there and only puts the manifest).
 *
 * The order of the two sides alternates between runs; the median of `--runs` is reported.
 *
 *   npm run build
 *   npx tsx bench/build.ts [--runs 3] [--pad-mb 50] [--write docs/benchmarks.md]
 *
 * Needs a running Docker engine (it is never stopped here), the JDK and busybox (for the base),
 * and `npm run build` first. docker logs in with its own config dir (never ~/.docker). Everything
 * it starts it stops and its temp dirs and images are removed, even on failure.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildJar, pushBase } from '../test/support/images.js';
import { startSlipway, stopAll, tempDir } from './server.js';
import { median, report } from './support.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'pad-mb': { type: 'string', default: '50' },
    write: { type: 'string' },
  },
});
const runs = Number(args.runs);
const padMB = Number(args['pad-mb']);
if (![runs, padMB].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--runs and --pad-mb take positive integers');

const root = resolve(import.meta.dirname, '..');
const jdk = '/usr/lib/jvm/java-17-openjdk-amd64';
const MB = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Processes, temp dirs and docker images: everything made here is removed in `teardown`.

const dockerImages = new Set<string>();
let dockerConfig = '';

interface Output {
  stdout: string;
  stderr: string;
}

/** Runs a command (argument array) with a time limit; fails with its output. */
function sh(cmd: string, argv: string[], o: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Output> {
  return new Promise((done, fail) => {
    const child = execFile(cmd, argv, { cwd: root, env: o.env ?? process.env, timeout: o.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${cmd} ${argv.join(' ')} failed: ${stderr || stdout || error.message}`));
      else done({ stdout, stderr });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(o.input ?? '');
  });
}

const dockerEnv: NodeJS.ProcessEnv = { ...process.env, DOCKER_BUILDKIT: '0' };
async function docker(argv: string[], input?: string): Promise<string> {
  return (await sh('docker', ['--config', dockerConfig, ...argv], { input, env: dockerEnv })).stdout;
}


async function teardown(): Promise<void> {
  for (const image of dockerImages) await docker(['rmi', '-f', image]).catch(() => undefined);
  dockerImages.clear();
  await stopAll();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void teardown().finally(() => process.exit(130));
  });
}


// ---------------------------------------------------------------------------------------------
// Slipway.

interface Slipway {
  url: string;
  host: string;
  token: string;
  project(name: string): Promise<void>;
}

async function startBenchSlipway(): Promise<Slipway> {
  const s = await startSlipway({ prefix: 'slipway-bench-build-' });
  await s.api('POST', '/api/v1/workspaces', { name: 'bench', tier: 'high' });
  return { url: s.url, host: s.host, token: s.token, project: (name) => s.api('POST', '/api/v1/workspaces/bench/projects', { name }) };
}

interface Built {
  digest: string;
  newBlobs: number;
  size: number;
  steps: { name: string; ms: number }[];
}

async function slipwayBuild(s: Slipway, jar: string, project: string, base: string): Promise<Built> {
  const env: NodeJS.ProcessEnv = { ...process.env, SLIPWAY_SERVER: s.url, SLIPWAY_TOKEN: s.token, NO_COLOR: '1' };
  const { stdout } = await sh(process.execPath, [join(root, 'bin/slipway'), 'build', jar, '-w', 'bench', '-p', project, '--version', '1.0.0', '--runtime', 'java', '--base', base, '--json'], { env });
  return JSON.parse(stdout) as Built;
}

// ---------------------------------------------------------------------------------------------
// The app: a tiny HTTP server JAR plus incompressible padding, stored (no deflate).

async function paddedJar(dir: string, classes: string): Promise<string> {
  const content = join(dir, 'classes');
  mkdirSync(content, { recursive: true });
  copyFileSync(join(classes, 'App.class'), join(content, 'App.class'));
  writeFileSync(join(content, 'padding.bin'), randomBytes(padMB * MB));
  const jar = join(dir, 'app.jar');
  await sh(`${jdk}/bin/jar`, ['--create', '--no-compress', '--file', jar, '--main-class', 'App', '--date', '2000-01-01T00:00:02Z', '-C', content, '.']);
  rmSync(content, { recursive: true, force: true });
  return jar;
}

// ---------------------------------------------------------------------------------------------
// Measurements.

async function timed<T>(fn: () => Promise<T>): Promise<{ s: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { s: (performance.now() - start) / 1000, value };
}


interface Samples {
  slipwayCold: number[];
  slipwayRebuild: number[];
  dockerColdBuild: number[];
  dockerColdPush: number[];
  dockerRebuildBuild: number[];
  dockerRebuildPush: number[];
  steps: Map<string, number[]>;
  sameDigest: boolean[];
  rebuildNewBlobs: number[];
  coldNewBlobs: number[];
}

async function main(): Promise<string> {
  const work = tempDir('slipway-bench-build-work-');
  dockerConfig = join(work, 'docker-config');
  mkdirSync(dockerConfig);
  const s = await startBenchSlipway();
  await s.project('base');
  await docker(['login', s.host, '-u', 'bench', '--password-stdin'], s.token);

  process.stderr.write('pushing the Java base image into Slipway …\n');
  const base = `${s.host}/bench/base:java`;
  dockerImages.add(base);
  await pushBase(docker, 'java', base);
  await buildJar(join(work, 'app'));
  const classes = join(work, 'app', 'classes');

  const x: Samples = { slipwayCold: [], slipwayRebuild: [], dockerColdBuild: [], dockerColdPush: [], dockerRebuildBuild: [], dockerRebuildPush: [], steps: new Map(), sameDigest: [], rebuildNewBlobs: [], coldNewBlobs: [] };
  let jarBytes = 0;

  for (let i = 1; i <= runs; i++) {
    const runDir = join(work, `run-${i}`);
    mkdirSync(runDir);
    const jar = await paddedJar(runDir, classes);
    jarBytes = readFileSync(jar).length;
    writeFileSync(join(runDir, 'Dockerfile'), `FROM ${base}\nCOPY app.jar /app/app.jar\nENTRYPOINT ["/bin/sh","-c","exec java $JAVA_OPTS -jar /app/app.jar"]\n`);
    await s.project(`s${i}`);
    await s.project(`d${i}`);

    const slipwaySide = async () => {
      const cold = await timed(() => slipwayBuild(s, jar, `s${i}`, base));
      const again = await timed(() => slipwayBuild(s, jar, `s${i}`, base));
      x.slipwayCold.push(cold.s);
      x.slipwayRebuild.push(again.s);
      x.sameDigest.push(cold.value.digest === again.value.digest);
      x.coldNewBlobs.push(cold.value.newBlobs);
      x.rebuildNewBlobs.push(again.value.newBlobs);
      for (const step of cold.value.steps) x.steps.set(step.name, [...(x.steps.get(step.name) ?? []), step.ms / 1000]);
      process.stderr.write(`run ${i} slipway: cold ${cold.s.toFixed(2)} s (${cold.value.newBlobs} new blobs, ${cold.value.digest}), rebuild ${again.s.toFixed(2)} s (${again.value.newBlobs} new blobs, ${again.value.digest})\n`);
    };
    const dockerSide = async () => {
      const ref = `${s.host}/bench/d${i}:1.0.0`;
      dockerImages.add(ref);
      await docker(['builder', 'prune', '-af']);
      const coldBuild = await timed(() => docker(['build', '-q', '-t', ref, runDir]));
      const coldPush = await timed(() => docker(['push', ref]));
      const againBuild = await timed(() => docker(['build', '-q', '-t', ref, runDir]));
      const againPush = await timed(() => docker(['push', ref]));
      if (coldBuild.value.trim() !== againBuild.value.trim()) throw new Error(`docker rebuild was not cached: ${coldBuild.value.trim()} then ${againBuild.value.trim()}`);
      x.dockerColdBuild.push(coldBuild.s);
      x.dockerColdPush.push(coldPush.s);
      x.dockerRebuildBuild.push(againBuild.s);
      x.dockerRebuildPush.push(againPush.s);
      await docker(['rmi', '-f', ref]);
      dockerImages.delete(ref);
      process.stderr.write(`run ${i} docker: cold ${coldBuild.s.toFixed(2)} + ${coldPush.s.toFixed(2)} s, rebuild ${againBuild.s.toFixed(2)} + ${againPush.s.toFixed(2)} s\n`);
    };
    if (i % 2) {
      await slipwaySide();
      await dockerSide();
    } else {
      await dockerSide();
      await slipwaySide();
    }
    rmSync(runDir, { recursive: true, force: true });
  }

  const serverVersion = (await docker(['version', '--format', '{{.Server.Version}}'])).trim();
  const clientVersion = (await docker(['version', '--format', '{{.Client.Version}}'])).trim();
  const sc = median(x.slipwayCold);
  const sr = median(x.slipwayRebuild);
  const dcb = median(x.dockerColdBuild);
  const dcp = median(x.dockerColdPush);
  const drb = median(x.dockerRebuildBuild);
  const drp = median(x.dockerRebuildPush);
  const dc = median(x.dockerColdBuild.map((b, k) => b + x.dockerColdPush[k]!));
  const dr = median(x.dockerRebuildBuild.map((b, k) => b + x.dockerRebuildPush[k]!));
  const lines = [
    `| ${(jarBytes / MB).toFixed(1)} MB JAR → image in Slipway's registry | slipway build s | docker build + push s | docker / Slipway |`,
    `|---|---|---|---|`,
    `| cold (new JAR; base at hand on both sides) | ${sc.toFixed(2)} | ${dc.toFixed(2)} (${dcb.toFixed(2)} + ${dcp.toFixed(2)}) | ${(dc / sc).toFixed(2)} |`,
    `| rebuild of the same JAR | ${sr.toFixed(2)} | ${dr.toFixed(2)} (${drb.toFixed(2)} + ${drp.toFixed(2)}) | ${(dr / sr).toFixed(2)} |`,
  ];
  const steps = [...x.steps].map(([name, v]) => `${name} ${median(v).toFixed(2)} s`).join(', ');
  const same = x.sameDigest.every(Boolean);
  const command = ['npx', 'tsx', 'bench/build.ts', ...process.argv.slice(2)].join(' ');
  const text = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, Docker engine ${serverVersion} (client ${clientVersion}, classic builder: buildx is not installed); ${new Date().toISOString().slice(0, 10)}.`,
    `Command: \`${command}\`. Median of ${runs} runs; a fresh JAR (${padMB} MB random padding, stored) per run; wall time of the CLI processes, client and server on the same machine.`,
    '',
    ...lines,
    '',
    `Slipway's cold build, server-side steps (median): ${steps}.`,
    `Same JAR built twice in Slipway gives the same digest: ${same ? 'yes' : 'NO'} in ${x.sameDigest.filter(Boolean).length} of ${runs} runs; new blobs on the rebuild: ${x.rebuildNewBlobs.join(', ')} (cold: ${x.coldNewBlobs.join(', ')}).`,
    `docker side: \`docker builder prune -af\` and the previous image removed before each cold build (the app layer is built and pushed fresh); the base image stays in the local image store and its layers are mounted from \`bench/base\` on push. The rebuild hits the classic builder's cache and the push only puts the manifest.`,
  ];
  if (!same) process.exitCode = 1;
  return `${text.join('\n')}\n`;
}

await report(main, teardown, { file: args.write, key: 'build', title: 'Build: slipway build vs docker build + push' });
