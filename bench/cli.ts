/**
 * Wall time of whole CLI commands, side by side with the floor (`node -e 0`: starting Node
 * itself) in the same run, each reported as a ratio to that floor (issue 16).
 *
 * One `slipway server` on loopback (SLIPWAY_LOG_LEVEL=warn) with a workspace `bench`, a project
 * `shop` and a few config keys. Timed: `node -e 0`, `slipway --version`, `slipway whoami`,
 * `slipway status -w bench -p shop`, `slipway config get -w bench -p shop -e dev` (server and token
 * from SLIPWAY_SERVER / SLIPWAY_TOKEN), and `slipway whoami` with the token from a saved context
 * (`slipway login`). With `--baseline PATH` the same commands run through another checkout's
 * `bin/slipway` too (e.g. main before a change), in the same rounds.
 *
 * With hyperfine on the PATH (Debian package `hyperfine`) it does the timing; otherwise a loop
 * here runs the commands round-robin (so a noisy moment hits every row alike) after warm-ups,
 * timing each from spawn to exit. Median and mean are reported; the ratio uses the medians. The
 * CPU time of each process (user + system, from hyperfine or from /proc/self/stat's children
 * times) is reported too: on a machine shared with other work it moves less than wall time.
 *
 *   npm run build
 *   npx tsx bench/cli.ts [--runs 30] [--warmup 3] [--baseline /path/to/other/bin/slipway] [--no-hyperfine] [--write docs/benchmarks.md]
 *
 * Everything it starts it stops and its temp dirs are removed, even on failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { childEnv } from '../test/support/server-process.js';
import { startSlipway, stopAll, tempDir } from './server.js';
import { median, report } from './support.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
    baseline: { type: 'string' },
    'no-hyperfine': { type: 'boolean', default: false },
    write: { type: 'string' },
  },
});
const runs = Number(args.runs);
const warmup = Number(args.warmup);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) throw new Error('--runs takes a positive integer, --warmup a whole number');

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'slipway');
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)));

interface Row {
  label: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
}

/** CPU time (user + system, ms) of this process's waited-for children so far, from /proc (10 ms ticks, exact in sum). */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  // After the command name: field 3 is the state, so cutime (16) and cstime (17) are at 13 and 14.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

/** One timed run: spawn to exit, in ms, and the child's CPU; fails on a non-zero exit. */
function once(row: Row): { ms: number; cpu: number } {
  const cpu = childrenCpuMs();
  const start = performance.now();
  const r = spawnSync(row.argv[0]!, row.argv.slice(1), { cwd: root, env: row.env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${row.label} exited ${r.status}: ${r.stderr}`);
  return { ms, cpu: childrenCpuMs() - cpu };
}

interface Measured {
  times: Map<string, number[]>;
  /** Mean CPU time (user + system) per run, ms. */
  cpu: Map<string, number>;
}

function loop(rows: Row[]): Measured {
  for (let i = 0; i < warmup; i += 1) for (const row of rows) once(row);
  const times = new Map(rows.map((r) => [r.label, [] as number[]]));
  const cpu = new Map(rows.map((r) => [r.label, 0]));
  for (let i = 0; i < runs; i += 1) {
    for (const row of rows) {
      const m = once(row);
      times.get(row.label)!.push(m.ms);
      cpu.set(row.label, cpu.get(row.label)! + m.cpu / runs);
    }
  }
  return { times, cpu };
}

function hyperfineAvailable(): boolean {
  if (args['no-hyperfine']) return false;
  return spawnSync('hyperfine', ['--version'], { stdio: 'ignore' }).status === 0;
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** hyperfine runs one command after another; each command gets its env through `env -i`. */
function withHyperfine(rows: Row[]): Measured {
  const out = join(tempDir('slipway-bench-hf-'), 'result.json');
  const commands = rows.map((row) => ['env', '-i', ...Object.entries(row.env).map(([k, v]) => `${k}=${v ?? ''}`), ...row.argv].map(shellQuote).join(' '));
  execFileSync('hyperfine', ['--warmup', String(warmup), '--runs', String(runs), '-N', '--export-json', out, ...rows.flatMap((r, i) => ['-n', r.label, commands[i]!])], { stdio: ['ignore', 'ignore', 'inherit'] });
  const result = JSON.parse(readFileSync(out, 'utf8')) as { results: { command: string; times: number[]; user: number; system: number }[] };
  return { times: new Map(result.results.map((r) => [r.command, r.times.map((t) => t * 1000)])), cpu: new Map(result.results.map((r) => [r.command, (r.user + r.system) * 1000])) };
}

async function main(): Promise<string> {
  const server = await startSlipway({ prefix: 'slipway-bench-cli-' });
  const env = childEnv({ SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: server.token, HOME: tempDir('slipway-bench-home-') });
  const setup = (argv: string[], input?: string, e = env) => execFileSync(process.execPath, [bin, ...argv], { cwd: root, env: e, input, stdio: ['pipe', 'ignore', 'inherit'] });
  setup(['workspace', 'create', 'bench', '--tier', 'high']);
  setup(['project', 'create', 'shop', '-w', 'bench']);
  setup(['config', 'set', 'LOG_LEVEL=info', 'JAVA_OPTS=-Xmx256m', 'GREETING=hello', '-w', 'bench', '-p', 'shop']);
  setup(['config', 'set', 'LOG_LEVEL=debug', '-w', 'bench', '-p', 'shop', '-e', 'dev']);
  // A user who ran `slipway login`: no SLIPWAY_* variables, the token from the saved context.
  const home = tempDir('slipway-bench-home-');
  const loginEnv = childEnv({ HOME: home, XDG_CONFIG_HOME: join(home, '.config') });
  setup(['login', '--server', server.url], server.token, loginEnv);

  const commands: Array<[string, string[], NodeJS.ProcessEnv?]> = [
    ['slipway --version', ['--version']],
    ['slipway whoami', ['whoami']],
    ['slipway status -w bench -p shop', ['status', '-w', 'bench', '-p', 'shop']],
    ['slipway config get -w bench -p shop -e dev', ['config', 'get', '-w', 'bench', '-p', 'shop', '-e', 'dev']],
    ['slipway whoami (token from `slipway login`)', ['whoami'], loginEnv],
  ];
  const rows: Row[] = [{ label: 'node -e 0 (the floor)', argv: [process.execPath, '-e', '0'], env }];
  for (const [label, argv, e] of commands) rows.push({ label, argv: [process.execPath, bin, ...argv], env: e ?? env });
  if (args.baseline) {
    for (const [label, argv, e] of commands.slice(0, 4)) if (!e) rows.push({ label: `${label} — baseline`, argv: [process.execPath, resolve(args.baseline), ...argv], env });
  }
  const tool = hyperfineAvailable() ? 'hyperfine' : 'node';
  process.stderr.write(`timing ${rows.length} commands × ${runs} runs (${warmup} warm-ups) with ${tool === 'hyperfine' ? 'hyperfine' : 'a round-robin loop in Node'} …\n`);
  const load = [loadavg()[0]!];
  const { times: samples, cpu } = tool === 'hyperfine' ? withHyperfine(rows) : loop(rows);
  load.push(loadavg()[0]!);

  const floor = median(samples.get(rows[0]!.label)!);
  const cpuFloor = cpu.get(rows[0]!.label)!;
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const lines = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim().split(/\s+/).slice(0, 2).join(' ')}, Node ${process.version}; ${new Date().toISOString().slice(0, 10)}; 1-min load average ${load[0]!.toFixed(1)} before, ${load[1]!.toFixed(1)} after.`,
    `Command: \`npx tsx bench/cli.ts --runs ${runs} --warmup ${warmup}${args.baseline ? ' --baseline …/bin/slipway' : ''}${args.write ? ` --write ${args.write}` : ''}\`. Timing by ${tool === 'hyperfine' ? 'hyperfine (`-N`, no shell)' : 'a round-robin loop in Node (spawn → exit of each process; hyperfine is not installed)'}; ${runs} runs of each after ${warmup} warm-ups; server and client on the same machine, the server on loopback at log level warn.`,
    '',
    '| command | median ms | mean ms | min ms | median / floor | CPU ms (user + sys, mean) | CPU / floor |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const v = samples.get(r.label)!;
      return `| ${r.label.includes('—') ? r.label : `\`${r.label.split(' (')[0]}\`${r.label.includes(' (') ? ` (${r.label.split(' (')[1]}` : ''}`} | ${median(v).toFixed(0)} | ${mean(v).toFixed(0)} | ${Math.min(...v).toFixed(0)} | ${(median(v) / floor).toFixed(2)} | ${cpu.get(r.label)!.toFixed(0)} | ${(cpu.get(r.label)! / cpuFloor).toFixed(2)} |`;
    }),
    '',
  ];
  return `${lines.join('\n')}\n`;
}

await report(main, stopAll, { file: args.write, key: 'cli', title: 'CLI: whole commands against `node -e 0`' });
