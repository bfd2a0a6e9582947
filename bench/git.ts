/**
 * Git sources. Build half: `slipway git build` of a static site and of a Node app (the builder),
 * and of the same Node app from its Dockerfile (buildah), over `--commits` new commits each,
 * side by side in one run with `docker build` + `docker push` of that Dockerfile into the same
 * Slipway registry; p50 and p95 of wall time, and the ratios.
 *
 * Set-up: one `slipway server --allow-git-host 127.0.0.1` on loopback (SLIPWAY_LOG_LEVEL=warn),
 * a git server (git http-backend behind a node server, token auth: test/support/git-server.ts),
 * a static base and a Node base (busybox httpd; this machine's node) imported into the local
 * Docker engine and pushed into Slipway, so every side starts with its base at hand. For each
 * commit (a one-line change of index.html / server.js, pushed to main) and each side:
 *
 * - `slipway git build -w bench -p P --ref <sha> --no-deploy --json`: CLI start, ls-remote,
 *   shallow fetch of the commit, build, image stored in the project's repository;
 * - `docker build -t HOST/bench/dockerapp:<n> CTX` (classic builder, DOCKER_BUILDKIT=0, the
 *   commit's tree as context, the same Dockerfile) + `docker push`.
 *
 * The order of the sides alternates between commits.
 *
 *   npm run build
 *   npx tsx bench/git.ts [--commits 10] [--write docs/benchmarks.md]
 *
 * Needs Docker, git, buildah and busybox. Everything it starts it stops; temp dirs and images
 * are removed, even on failure.
 */
import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startGitServer, type GitServer, type GitWorkdir } from '../test/support/git-server.js';
import { pushBase } from '../test/support/images.js';
import { cleanup } from '../test/support/server-process.js';
import { pushNodeBase } from '../test/support/service-app.js';
import { startSlipway, stopAll, tempDir } from './server.js';
import { percentile, runBench, writeSection } from './support.js';

const { values: args } = parseArgs({ options: { commits: { type: 'string', default: '10' }, write: { type: 'string' } } });
const commits = Number(args.commits);
if (!Number.isInteger(commits) || commits < 2) throw new Error('--commits takes an integer of at least 2');
const root = resolve(import.meta.dirname, '..');

const images = new Set<string>();
let dockerConfig = '';
let gitServer: GitServer | undefined;

function sh(cmd: string, argv: string[], o: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  return new Promise((done, fail) => {
    const child = execFile(cmd, argv, { cwd: o.cwd ?? root, env: o.env ?? process.env, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${cmd} ${argv.join(' ')} failed: ${stderr || stdout || error.message}`));
      else done(stdout);
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(o.input ?? '');
  });
}

const docker = (argv: string[], input?: string) => sh('docker', ['--config', dockerConfig, ...argv], { input, env: { ...process.env, DOCKER_BUILDKIT: '0' } });

async function teardown(): Promise<void> {
  await gitServer?.close();
  for (const image of images) await docker(['rmi', '-f', image]).catch(() => undefined);
  await stopAll();
  await cleanup();
}

interface Slipway {
  url: string;
  host: string;
  token: string;
  cli(argv: string[], input?: string): Promise<string>;
}

async function startBenchSlipway(): Promise<Slipway> {
  const { url, host, token } = await startSlipway({ prefix: 'slipway-bench-git-', args: ['--allow-git-host', '127.0.0.1'] });
  const cliEnv = { ...process.env, SLIPWAY_SERVER: url, SLIPWAY_TOKEN: token, NO_COLOR: '1' };
  return { url, host, token, cli: (argv, input) => sh(process.execPath, [join(root, 'bin/slipway'), ...argv], { env: cliEnv, ...(input !== undefined ? { input } : {}) }) };
}


async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

const nodeServer = (n: number) => `require('node:http').createServer((q, s) => s.end('commit ${n}\\n')).listen(Number(process.env.PORT ?? 8080));\nprocess.on('SIGTERM', () => process.exit(0));\n`;

async function main(): Promise<void> {
  const s = await startBenchSlipway();
  const git: GitServer = await startGitServer();
  gitServer = git;
  dockerConfig = tempDir('slipway-bench-git-docker-');
  await docker(['login', s.host, '-u', 'bench', '--password-stdin'], s.token);
  await s.cli(['workspace', 'create', 'bench', '--tier', 'high', '--json']);
  for (const p of ['base', 'site', 'nodeapp', 'dockerfile', 'dockerapp']) await s.cli(['project', 'create', p, '-w', 'bench', '--json']);
  const staticBase = `${s.host}/bench/base:static`;
  const nodeBase = `${s.host}/bench/base:node`;
  await pushBase(docker, 'static', staticBase);
  await pushNodeBase(docker, nodeBase);
  images.add(staticBase).add(nodeBase);
  const dockerfile = `FROM ${nodeBase}\nCOPY . /app\nWORKDIR /app\nCMD ["node", "server.js"]\n`;

  const repos: Record<string, GitWorkdir> = {};
  for (const [name, files, linkArgs] of [
    ['site', { 'index.html': '<h1>0</h1>\n' }, ['--runtime', 'static', '--base', staticBase]],
    ['nodeapp', { 'package.json': '{"name":"app","version":"1.0.0","scripts":{"start":"node server.js"}}', 'server.js': nodeServer(0) }, ['--runtime', 'node', '--base', nodeBase]],
    ['dockerfile', { Dockerfile: dockerfile, 'server.js': nodeServer(0) }, []],
  ] as const) {
    await git.createRepo(name);
    const work = await git.workdir(name);
    await work.commit(files, 'first');
    await work.push('main');
    repos[name] = work;
    await s.cli(['git', 'link', `${git.url}/${name}.git`, '-w', 'bench', '-p', name, '--credential', '-', ...linkArgs, '--json'], git.token);
  }
  // One warm-up build each (base import into buildah's storage, first blob links), not counted.
  for (const name of Object.keys(repos)) await s.cli(['git', 'build', '-w', 'bench', '-p', name, '--no-deploy', '--json']);

  const samples: Record<string, number[]> = { site: [], nodeapp: [], dockerfile: [], dockerBuild: [], dockerPush: [] };
  const digests = new Set<string>();
  for (let n = 1; n <= commits; n += 1) {
    const shas: Record<string, string> = {};
    shas.site = await (repos.site as GitWorkdir).commit({ 'index.html': `<h1>${n}</h1>\n` }, `site ${n}`);
    await (repos.site as GitWorkdir).push('main');
    shas.nodeapp = await (repos.nodeapp as GitWorkdir).commit({ 'server.js': nodeServer(n) }, `node ${n}`);
    await (repos.nodeapp as GitWorkdir).push('main');
    shas.dockerfile = await (repos.dockerfile as GitWorkdir).commit({ 'server.js': nodeServer(n) }, `docker ${n}`);
    await (repos.dockerfile as GitWorkdir).push('main');
    const slipwaySide = async () => {
      for (const name of ['site', 'nodeapp', 'dockerfile']) {
        samples[name]?.push(await timed(async () => {
          const out = JSON.parse(await s.cli(['git', 'build', '-w', 'bench', '-p', name, '--ref', shas[name] as string, '--no-deploy', '--json'])) as { digest: string };
          if (name === 'dockerfile') digests.add(out.digest);
        }));
      }
    };
    const dockerSide = async () => {
      const ctx = tempDir('slipway-bench-git-ctx-');
      await sh('git', ['--work-tree', ctx, 'checkout', shas.dockerfile as string, '--', '.'], { cwd: (repos.dockerfile as GitWorkdir).dir });
      const ref = `${s.host}/bench/dockerapp:${n}`;
      images.add(ref);
      samples.dockerBuild?.push(await timed(() => docker(['build', '-q', '-t', ref, ctx])));
      samples.dockerPush?.push(await timed(() => docker(['push', '-q', ref])));
    };
    if (n % 2) {
      await slipwaySide();
      await dockerSide();
    } else {
      await dockerSide();
      await slipwaySide();
    }
  }

  const engine = (await docker(['version', '--format', '{{.Server.Version}}']).catch(() => '?')).trim();
  const fmt = (v: number) => v.toFixed(2);
  const dockerTotal = samples.dockerBuild!.map((b, i) => b + (samples.dockerPush![i] ?? 0));
  const row = (label: string, values: number[]) => `| ${label} | ${fmt(percentile(values, 50))} | ${fmt(percentile(values, 95))} | ${fmt(percentile(dockerTotal, 50) / percentile(values, 50))} |`;
  const text = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? '?'}, Node ${process.version}, Docker engine ${engine} (classic builder), buildah ${(await sh('buildah', ['--version'])).trim().split(' ')[2] ?? '?'}, git ${(await sh('git', ['--version'])).trim().split(' ')[2] ?? '?'}; ${new Date().toISOString().slice(0, 10)}; 1-min load average at the end ${loadavg()[0]?.toFixed(1)}.`,
    `Command: \`npx tsx bench/git.ts --commits ${commits}${args.write ? ` --write ${args.write}` : ''}\`. ${commits} new commits per row (a one-line change, pushed to main); wall time of the CLI process (\`slipway git build --ref SHA --no-deploy\`: ls-remote, shallow fetch, build, image stored), client, server and git server on the same machine.`,
    '',
    '| new commit → image in Slipway\'s registry | p50 s | p95 s | docker build + push p50 / this p50 |',
    '|---|---|---|---|',
    row('static site, `git build` (builder)', samples.site!),
    row('Node app, `git build` (builder)', samples.nodeapp!),
    row('Node app from its Dockerfile, `git build` (buildah)', samples.dockerfile!),
    `| Node app from its Dockerfile, \`docker build\` + \`docker push\` | ${fmt(percentile(dockerTotal, 50))} (${fmt(percentile(samples.dockerBuild!, 50))} + ${fmt(percentile(samples.dockerPush!, 50))}) | ${fmt(percentile(dockerTotal, 95))} | 1.00 |`,
    '',
    `Distinct digests of the Dockerfile project: ${digests.size} for ${commits} different commits (one per commit expected).`,
    '',
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (args.write) writeSection(resolve(root, args.write), 'git-build', 'Git sources: `slipway git build` vs `docker build` + `docker push`', text);
}

runBench(main, teardown);
