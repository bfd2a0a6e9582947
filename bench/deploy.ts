/**
 * Promotion speed of the deploy engine on the local Docker engine behind Caddy: the time from the
 * promote API call until 100 % of the traffic to the target environment's domain, through Caddy,
 * is served by the new release, with the image already pulled. There is no peer here: the goal
 * (from the issue) is a p50 under 1.5 s for an app that is ready at once.
 *
 *   npm run build && npx tsx bench/deploy.ts [--promotions 20] [--write docs/benchmarks.md]
 *
 * Set-up: `deployWorld()` (test/support/deploy.ts): a `slipway server --proxy-listen` on free
 * loopback ports, workspace `acme` (tier high), project `shop`, a Java base image (a jlink'd
 * runtime plus busybox) and a tiny JDK `HttpServer` JAR built once as 1.0.0. The app answers
 * `${GREETING} | built once`. 1.0.0 is deployed to `dev`, then promoted to `staging` once (both
 * unmeasured; `staging` does not require approval), so the image is in the local Docker engine.
 *
 * Each measured promotion i:
 * 1. `PATCH …/environments/staging/config?restart=false {set: {GREETING: "run-i"}}` stages a new
 *    config version (no release), so the next release of staging answers `run-i`.
 * 2. A poller GETs `staging.shop.acme.localhost` through Caddy every ~20 ms (one request at a
 *    time, keep-alive, the old release answering at first).
 * 3. t0 = just before `POST …/projects/shop/promotions {from: dev, to: staging}` (admin token).
 * 4. "100 % of traffic" = the first moment after which 10 consecutive polls all answer `run-i`:
 *    the time reported is when the answer of the first of those 10 arrived (an upper bound: the
 *    new release was serving by then). Caddy balances round robin, so while old and new replicas
 *    share the route (between the `route` and `switch` steps) answers alternate and never give
 *    10 in a row.
 * 5. Then the deploy's log is followed to its end (`…/deployments/{id}/events`, SSE), and the
 *    deployment (`startedAt`, `finishedAt`), its step events (`pull`, `config`, `start`, `ready`,
 *    `route`, `switch`, `drain`, `stop-old`, `done`) and the new container (`docker inspect`
 *    State.StartedAt, the app's "listening on" line from `docker logs -t`) are read to say where
 *    the time went. Server, Caddy, the Docker engine and this process share one clock.
 *
 * Everything made here is removed at the end: the containers of this run's environments (by
 * their `io.slipway.environment-id` label), the images pulled from this run's registry address,
 * the server (SIGTERM; it stops the Caddy it started) and the temp dirs.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { deployWorld, viaProxy, type DeployWorld } from '../test/support/deploy.js';
import { cleanup } from '../test/support/server-process.js';
import { startPoller } from './deploy-poller.js';
import { writeSection } from './support.js';
import { report, s, type Sample } from './deploy-report.js';

const { values: args } = parseArgs({
  options: {
    promotions: { type: 'string', default: '20' },
    workspace: { type: 'string', default: 'acme' },
    'poll-ms': { type: 'string', default: '20' },
    consecutive: { type: 'string', default: '10' },
    write: { type: 'string' },
  },
});
const promotions = Number(args.promotions);
const pollMs = Number(args['poll-ms']);
const consecutive = Number(args.consecutive);
const ws = args.workspace!;
if (![promotions, pollMs, consecutive].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--promotions, --poll-ms and --consecutive take positive integers');
/** Upper bound of one promotion's traffic wait and of one deployment's end. */
const stepTimeoutMs = 60_000;
/** Upper bound of the whole run (set-up, promotions, teardown is outside). */
const runTimeoutMs = 5 * 60_000 + promotions * 30_000;

/** The engine's drain (SLIPWAY_DRAIN_MS is not set here, so its default). */
const drainMs = 2000;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Small helpers: shell, API.

function sh(cmd: string, argv: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((done, fail) => {
    execFile(cmd, argv, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`${cmd} ${argv.join(' ')} failed: ${stderr || error.message}`));
      else done(stdout);
    });
  });
}

let world: DeployWorld | undefined;

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const w = world!;
  const res = await fetch(`${w.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${w.server.adminToken}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(stepTimeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

const projectPath = () => `/api/v1/workspaces/${ws}/projects/shop`;
const domain = (env: string) => `${env}.shop.${ws}.localhost`;

interface Deployment {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  releaseNumber: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

interface DeployEvent {
  at: string;
  level: string;
  step: string;
  message: string;
}

/** Follows a deployment's log (SSE) until `event: end`; returns the events and the end. */
async function followDeployment(id: string): Promise<{ events: DeployEvent[]; end: { status: string; error: string | null } }> {
  const w = world!;
  const res = await fetch(`${w.server.url}/api/v1/workspaces/${ws}/deployments/${id}/events`, { headers: { authorization: `Bearer ${w.server.adminToken}` }, signal: AbortSignal.timeout(stepTimeoutMs) });
  if (!res.ok) throw new Error(`events of ${id}: HTTP ${res.status} ${await res.text()}`);
  const text = await res.text();
  const events: DeployEvent[] = [];
  let end: { status: string; error: string | null } | undefined;
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n');
    const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
    const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
    if (!event || data === undefined) continue;
    if (event === 'log') events.push(JSON.parse(data) as DeployEvent);
    if (event === 'end') end = JSON.parse(data) as { status: string; error: string | null };
  }
  if (!end) throw new Error(`the event stream of ${id} ended without an end event`);
  return { events, end };
}

/** Runs a deployment to its end; throws when it failed. */
async function settle(id: string, what: string): Promise<{ events: DeployEvent[]; deployment: Deployment }> {
  const { events, end } = await followDeployment(id);
  const deployment = await api<Deployment>('GET', `/api/v1/workspaces/${ws}/deployments/${id}`);
  if (end.status !== 'succeeded' || deployment.status !== 'succeeded') throw new Error(`${what} (${id}) ended ${deployment.status}: ${deployment.error ?? end.error ?? ''}\n${events.map((e) => `  ${e.at} ${e.step} ${e.message}`).join('\n')}`);
  return { events, deployment };
}

// ---------------------------------------------------------------------------------------------
// The poller: one GET at a time through Caddy, every `pollMs`, until `consecutive` answers in a
// row are the expected body.

// ---------------------------------------------------------------------------------------------
// One measured promotion.

const at = (iso: string | null | undefined) => (iso ? Date.parse(iso) : Number.NaN);
function eventAt(events: DeployEvent[], step: string, last = false): number {
  const matching = events.filter((e) => e.step === step);
  const e = last ? matching[matching.length - 1] : matching[0];
  if (!e) throw new Error(`no '${step}' event in the deploy log: ${events.map((x) => x.step).join(', ')}`);
  return at(e.at);
}

/** When the container started and when the app printed "listening on" (docker's clock, epoch ms). */
async function containerTimes(name: string): Promise<{ created: number; started: number; listening: number }> {
  const w = world!;
  const [created, started] = (await w.docker(['inspect', '--format', '{{.Created}} {{.State.StartedAt}}', name])).trim().split(' ').map((x) => Date.parse(x));
  const logs = await w.docker(['logs', '-t', name]);
  const line = logs.split('\n').find((l) => l.includes('listening on'));
  const listening = line ? Date.parse(line.slice(0, line.indexOf(' '))) : Number.NaN;
  return { created: created!, started: started!, listening };
}

async function promoteOnce(i: number, previous: string): Promise<{ sample: Sample; body: string }> {
  const greeting = `run-${i}`;
  const expected = `${greeting} | built once\n`;
  const staged = await api<{ deployment: unknown }>('PATCH', `${projectPath()}/environments/staging/config?restart=false`, { set: { GREETING: greeting } });
  if (staged.deployment) throw new Error(`config?restart=false rolled a deployment: ${JSON.stringify(staged.deployment)}`);
  const before = await viaProxy(world!.proxyPort, domain('staging'));
  if (before.body !== previous) throw new Error(`staging answers ${JSON.stringify(before.body)} before promotion ${i}, expected ${JSON.stringify(previous)}`);

  const poller = startPoller({ proxyPort: world!.proxyPort, host: domain('staging'), pollMs, consecutive, timeoutMs: stepTimeoutMs }, expected, previous);
  await sleep(3 * pollMs); // the poller has a warm connection and sees the old release
  const t0 = now();
  let promoted: { promotion: { status: string }; deployment: Deployment | null };
  try {
    promoted = await api('POST', `${projectPath()}/promotions`, { from: 'dev', to: 'staging' });
  } catch (error) {
    poller.stop();
    throw error;
  }
  const tApi = now();
  if (!promoted.deployment || promoted.promotion.status !== 'deploying') {
    poller.stop();
    throw new Error(`promotion ${i} did not start a deployment: ${JSON.stringify(promoted)}`);
  }
  const polled = await poller.result;
  if (Number.isNaN(polled.firstOfRun)) throw new Error(`promotion ${i}: staging did not answer ${JSON.stringify(greeting)} ${consecutive} times in a row within ${stepTimeoutMs / 1000} s (errors: ${polled.errors.join('; ')})`);

  const { events, deployment } = await settle(promoted.deployment.id, `promotion ${i}`);
  const container = `slw-${ws}-shop-staging-r${deployment.releaseNumber}-1`;
  const ct = await containerTimes(container);
  const started = at(deployment.startedAt);
  const tStart = eventAt(events, 'start');
  const tReady = eventAt(events, 'ready', true);
  const tSwitch = eventAt(events, 'switch');
  const finished = at(deployment.finishedAt);
  const sample: Sample = {
    run: i,
    toTraffic: polled.firstOfRun - t0,
    apiAnswer: tApi - t0,
    toStarted: started - t0,
    pull: eventAt(events, 'config') - eventAt(events, 'pull'),
    startToReady: tReady - tStart,
    claimedToStart: tStart - started,
    dockerCreate: ct.created - tStart,
    dockerStart: ct.started - ct.created,
    appStart: ct.listening - ct.started,
    readinessSeen: tReady - ct.listening,
    readyToSwitch: tSwitch - tReady,
    switchToTraffic: polled.firstOfRun - tSwitch,
    serverDuration: finished - started,
    startedToSwitch: tSwitch - started,
    switchToFinished: finished - tSwitch,
    stopOld: eventAt(events, 'stop-old') - eventAt(events, 'drain') - drainMs,
    polls: polled.sent,
    errors: polled.errors,
    other: polled.other,
    earlyNew: polled.earlyNew,
    retried: polled.retried,
  };
  return { sample, body: expected };
}

// ---------------------------------------------------------------------------------------------
// Statistics and the report.

async function machine(): Promise<string> {
  const w = world!;
  const dockerVersion = (await w.docker(['version', '--format', '{{.Server.Version}}']).catch(() => '?')).trim();
  const caddy = (await sh('caddy', ['version']).catch(() => '?')).trim().split(' ')[0];
  return `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'} (nproc ${cpus().length}), Node ${process.version}, Docker engine ${dockerVersion}, Caddy ${caddy}; ${new Date().toISOString().slice(0, 10)}; 1-min load average ${startLoad.toFixed(1)} before the promotions, ${loadavg()[0]!.toFixed(1)} after (other work on the machine shares the ${cpus().length} cores).`;
}

// ---------------------------------------------------------------------------------------------
// Set-up and teardown.

const myEnvironmentIds = new Set<string>();
let startLoad = Number.NaN;

/** Direct children of this process (the server when deployWorld failed before returning it). */
function myChildren(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

/** The pid of the Caddy this run's server started (its config file is in the server's data dir). */
function caddyPid(dataDir: string): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (cmd.some((c) => c.startsWith(`${dataDir}/caddy/`))) return Number(name);
    } catch {
      // gone
    }
  }
  return undefined;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function endPid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let k = 0; k < 100 && alive(pid); k++) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

let tornDown = false;
async function teardown(): Promise<void> {
  if (tornDown) return;
  tornDown = true;
  const w = world;
  const docker = (argv: string[]) => (w ? w.docker(argv) : sh('docker', argv));
  if (w) {
    const caddy = caddyPid(w.server.dataDir);
    await Promise.race([w.server.stop('SIGTERM'), sleep(20_000)]).catch(() => undefined);
    if (alive(w.server.pid)) await w.server.kill9().catch(() => undefined);
    if (caddy !== undefined) await endPid(caddy);
  } else {
    for (const pid of myChildren()) await endPid(pid);
  }
  // Containers of this run's environments (ids are unique to this server), then any left of the
  // workspace that carry one of those ids under another label set.
  for (const id of myEnvironmentIds) {
    const names = (await docker(['ps', '-aq', '--filter', `label=io.slipway.workspace=${ws}`, '--filter', `label=io.slipway.environment-id=${id}`]).catch(() => '')).split('\n').filter(Boolean);
    for (const name of names) await docker(['rm', '-f', name]).catch((e: Error) => log(`could not remove container ${name}: ${e.message}`));
  }
  if (w) {
    // Images pulled from (or imported for) this run's registry address, by reference.
    // `{{.Digest}}` is only filled in with --digests; images pulled by digest have no tag.
    const list = async () => (await docker(['images', '--digests', '--filter', `reference=${w.host}/*/*`, '--format', '{{.Repository}}|{{.Tag}}|{{.Digest}}']).catch(() => '')).split('\n').filter(Boolean);
    for (const line of await list()) {
      const [repo, tag, digest] = line.split('|');
      const ref = tag && tag !== '<none>' ? `${repo}:${tag}` : digest && digest !== '<none>' ? `${repo}@${digest}` : undefined;
      if (ref) await docker(['rmi', ref]).catch((e: Error) => log(`could not remove image ${ref}: ${e.message}`));
    }
    const left = await list();
    if (left.length > 0) log(`images of ${w.host} still present: ${left.join(', ')}`);
  }
  await cleanup();
  const left = (await sh('docker', ['ps', '-aq', '--filter', `label=io.slipway.workspace=${ws}`]).catch(() => '')).split('\n').filter(Boolean);
  if (left.length > 0) log(`containers of workspace ${ws} still present: ${left.join(', ')}`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up …`);
    void teardown().finally(() => process.exit(130));
  });
}

async function main(): Promise<string> {
  const theirs = (await sh('docker', ['ps', '-aq', '--filter', `label=io.slipway.workspace=${ws}`])).split('\n').filter(Boolean);
  if (theirs.length > 0) throw new Error(`${theirs.length} container(s) of a workspace '${ws}' already exist on this Docker engine (another run?); container names would clash. Pass --workspace NAME or remove them.`);

  log(`starting the server, pushing the Java base, building 1.0.0 (workspace ${ws}) …`);
  world = await deployWorld({ workspace: ws });
  log(`server ${world.server.url} (data dir ${world.server.dataDir}), proxy 127.0.0.1:${world.proxyPort}`);
  const envs = await api<{ environments: Array<{ id: string; name: string }> }>('GET', `${projectPath()}/environments`);
  for (const e of envs.environments) myEnvironmentIds.add(e.id);
  const base = await api<{ environments: Array<{ id: string }> }>('GET', `/api/v1/workspaces/${ws}/projects/base/environments`);
  for (const e of base.environments) myEnvironmentIds.add(e.id);

  const settings = await api<{ requireApproval: boolean; replicas: number; strategy: string; healthType: string }>('GET', `${projectPath()}/environments/staging/settings`);
  if (settings.requireApproval) await api('PATCH', `${projectPath()}/environments/staging/settings`, { requireApproval: false });
  log(`staging: ${settings.replicas} replica(s), ${settings.strategy}, readiness ${settings.healthType}, approval ${settings.requireApproval ? 'was on, turned off' : 'off'}`);

  log('deploying 1.0.0 to dev, promoting to staging (unmeasured) …');
  await api('PATCH', `${projectPath()}/environments/staging/config?restart=false`, { set: { GREETING: 'run-0' } });
  const dev = await api<{ deployment: Deployment }>('POST', `${projectPath()}/environments/dev/deployments`, { version: '1.0.0' });
  await settle(dev.deployment.id, 'deploy of 1.0.0 to dev');
  const first = await api<{ deployment: Deployment | null }>('POST', `${projectPath()}/promotions`, { from: 'dev', to: 'staging' });
  if (!first.deployment) throw new Error('the first promotion to staging waits for approval');
  await settle(first.deployment.id, 'first promotion to staging');
  let previous = 'run-0 | built once\n';
  const check = await viaProxy(world.proxyPort, domain('staging'));
  if (check.body !== previous) throw new Error(`staging answers ${JSON.stringify(check.body)}, expected ${JSON.stringify(previous)}`);

  const samples: Sample[] = [];
  startLoad = loadavg()[0]!;
  for (let i = 1; i <= promotions; i++) {
    const { sample, body } = await promoteOnce(i, previous);
    previous = body;
    samples.push(sample);
    log(
      `promotion ${i}: → 100 % ${s(sample.toTraffic)} s (api ${s(sample.apiAnswer)}, claimed ${s(sample.toStarted)}, pull ${s(sample.pull)}, start→ready ${s(sample.startToReady)} [create ${s(sample.dockerCreate)}, start ${s(sample.dockerStart)}, jvm ${s(sample.appStart)}, seen ${s(sample.readinessSeen)}], ready→switch ${s(sample.readyToSwitch)}, switch→seen ${s(sample.switchToTraffic)}); server ${s(sample.serverDuration)} s, switch→finished ${s(sample.switchToFinished)} s; ${sample.polls} polls, ${sample.errors.length} errors`,
    );
  }
  return `${report(samples, await machine(), { consecutive, pollMs })}\n`;
}

let text = '';
const guard = setTimeout(() => {
  log(`the run did not end within ${runTimeoutMs / 1000} s; cleaning up`);
  void teardown().finally(() => process.exit(1));
}, runTimeoutMs);
try {
  text = await main();
} catch (error) {
  process.exitCode = 1;
  log(`bench failed: ${(error as Error).stack ?? String(error)}`);
  if (world) log(`server log tail:\n${world.server.logs().slice(-3000)}`);
} finally {
  await teardown();
  clearTimeout(guard);
}
if (text) {
  process.stdout.write(text);
  if (args.write) {
    writeSection(args.write, 'deploy', 'Deploy: promote → 100 % of traffic', text);
  }
}
