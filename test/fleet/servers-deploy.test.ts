/**
 * Servers joined by agents, end to end on two test hosts (network namespaces, each with its own
 * Docker engine, agent and edge) and the control plane on this machine: both join; an
 * environment placed on host 1 runs there and answers through host 1's edge; the same digest is
 * promoted to an environment on host 2; the hosts pull only through their agent's mTLS session.
 * A volume of an environment on host 1 is backed up, downloaded and restored into a new
 * generation through its agent, the generation before left on host 1 with the newer data.
 * The control plane is killed: both hosts keep serving for a minute, and after its restart nothing
 * is duplicated or orphaned. A host's link is cut during a deploy and restored: its agent
 * reconnects and converges, and the deploy ends cleanly. A host is revoked: its environment is
 * marked, then moved to the other host while the revoked one keeps serving until it is gone.
 */
import { request } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHosts, type TestHosts } from '../support/hosts.js';
import { deployWorld, freePort, type DeployWorld } from '../support/deploy.js';
import { cleanup, slipwayBin, tempDir } from '../support/server-process.js';

let hosts: TestHosts;
let w: DeployWorld;
const agents: ChildProcess[] = [];
const agentDirs: string[] = [];
const canary = `canary-${process.pid}-agent-secret`;
const agentLogs: string[] = [];
const httpPort = 8080;
const domain = (env: string) => `${env}.shop.${w.ws}.localhost`;

/** GET http://ADDRESS:8080/ with Host: domain (a host's edge). */
function viaEdge(address: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port: httpPort, path: '/', headers: { host }, timeout: 10_000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await fn().catch(() => undefined as T);
    if (last !== undefined && ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}\nagent logs:\n${agentLogs.join('')}`);
}

interface ServerRow {
  name: string;
  state: string;
  metrics: { containers: number | null } | null;
}

beforeAll(async () => {
  hosts = await createTestHosts({ count: 2 });
  // A fixed gateway port: agents keep dialling the same URL across control-plane restarts.
  w = await deployWorld({ workspace: 'fleetsrv', args: ['--gateway-listen', `${hosts.bridgeAddress}:${await freePort()}`], env: { SLIPWAY_AGENT_HEARTBEAT: '1' } });
  await w.server.waitForLogs((l) => l.includes('agent gateway on'));
  for (const h of hosts.hosts) {
    const added = await w.run(['server', 'add', h.name, '--label', `zone=${h.name}`, '--json']);
    expect(added.code, added.stderr).toBe(0);
    const { joinToken } = added.json<{ joinToken: string }>();
    const dir = join(tempDir('slipway-agent-'), 'agent');
    agentDirs.push(dir);
    // Dials again at most a second apart while the control plane is away (the default is 15 s), so it is back soon after a restart.
    const child = h.spawn(process.execPath, [slipwayBin, 'agent', '--join', joinToken, '--data-dir', dir, '--docker-host', h.dockerHost, '--advertise-address', h.address, '--http-port', String(httpPort), '--https-port', 'none'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLIPWAY_AGENT_MAX_BACKOFF: '1' } });
    child.stdout?.on('data', (d: Buffer) => agentLogs.push(`[${h.name}] ${String(d)}`));
    child.stderr?.on('data', (d: Buffer) => agentLogs.push(`[${h.name}] ${String(d)}`));
    agents.push(child);
  }
}, 300_000);

afterAll(async () => {
  for (const a of agents) a.kill('SIGTERM');
  await w?.dispose();
  await hosts?.destroy();
  await cleanup();
});

describe('servers joined by agents', () => {
  it('both hosts join and report their metrics', async () => {
    const list = await until(
      async () => (await w.run(['server', 'list', '--json'])).json<{ servers: ServerRow[] }>().servers,
      (s) => s.length === 2 && s.every((x) => x.state === 'connected' && x.metrics !== null),
      30_000,
      'two connected servers',
    );
    expect(list.map((s) => s.name).sort()).toEqual(hosts.hosts.map((h) => h.name).sort());
    // Each agent let its edge hand listening sockets over without resets, in its own namespace.
    for (const h of hosts.hosts) expect(await h.exec('cat', ['/proc/sys/net/ipv4/tcp_migrate_req'])).toMatch(/^1/);
  }, 60_000);

  it('deploys to host 1 and promotes the same digest to host 2, each served by its own edge', async () => {
    const [h1, h2] = hosts.hosts;
    for (const [env, h] of [['dev', h1!], ['staging', h2!]] as const) {
      const set = await w.run(['env', 'set', '-w', w.ws, '-p', 'shop', '-e', env, '--target', h.name, '--json']);
      expect(set.code, set.stderr).toBe(0);
      expect((await w.run(['config', 'set', `GREETING=hello from ${env} on ${h.name}`, '-w', w.ws, '-p', 'shop', '-e', env])).code).toBe(0);
    }
    expect((await w.cli(['secret', 'set', 'API_KEY', '-w', w.ws, '-p', 'shop', '-e', 'dev'], canary)).code).toBe(0);
    const dev = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--version', '1.0.0', '--json']);
    expect(dev.code, `${dev.stderr}\n${agentLogs.join('')}`).toBe(0);
    expect(await viaEdge(h1!.address, domain('dev'))).toEqual({ status: 200, body: `hello from dev on ${h1!.name} | built once\n` });
    // It runs on host 1's engine, not on this machine's nor on host 2's.
    expect(await h1!.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`])).not.toBe('');
    expect(await h2!.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`])).toBe('');

    const staging = await w.run(['promote', '-w', w.ws, '-p', 'shop', '--from', 'dev', '--to', 'staging', '--json']);
    expect(staging.code, `${staging.stderr}\n${agentLogs.join('')}`).toBe(0);
    expect(await viaEdge(h2!.address, domain('staging'))).toEqual({ status: 200, body: `hello from staging on ${h2!.name} | built once\n` });
    // Each edge serves only what is placed on its server.
    expect((await viaEdge(h2!.address, domain('dev'))).status).toBe(404);
    const status = (await w.run(['status', '-w', w.ws, '-p', 'shop', '--json'])).json<{ environments: Array<{ name: string; health: string; release: { imageDigest: string } | null }> }>();
    const placed = status.environments.filter((e) => e.name === 'dev' || e.name === 'staging');
    expect(new Set(placed.map((e) => e.release?.imageDigest)).size).toBe(1);
    expect(placed.map((e) => e.health)).toEqual(['healthy', 'healthy']);
    // The secret reached the workload on host 1 ...
    const env = await h1!.docker(['inspect', '--format', '{{json .Config.Env}}', (await h1!.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`])).split('\n')[0]!]);
    expect(env).toContain(`API_KEY=${canary}`);
    // ... and is on no agent's disk, in no agent's log, in no control-plane log.
    for (const dir of agentDirs) for (const file of filesUnder(dir)) expect(readFileSync(file).includes(canary), file).toBe(false);
    expect(agentLogs.join('')).not.toContain(canary);
    expect(w.server.logs()).not.toContain(canary);
  }, 300_000);

  it('an environment with 2 replicas across both hosts: each edge serves it, a rolling deploy under load through both loses nothing', async () => {
    const [h1, h2] = hosts.hosts;
    expect((await w.run(['env', 'create', 'spread', '-w', w.ws, '-p', 'shop'])).code).toBe(0);
    const set = await w.run(['env', 'set', '-w', w.ws, '-p', 'shop', '-e', 'spread', '--servers', `${h1!.name},${h2!.name}`, '--replicas', '2', '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect((await w.run(['config', 'set', 'GREETING=spread v1', '-w', w.ws, '-p', 'shop', '-e', 'spread'])).code).toBe(0);
    const deployed = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'spread', '--version', '1.0.0', '--json']);
    expect(deployed.code, `${deployed.stderr}\n${agentLogs.join('')}`).toBe(0);
    for (const h of [h1!, h2!]) {
      expect(await viaEdge(h.address, domain('spread')), h.name).toEqual({ status: 200, body: 'spread v1 | built once\n' });
      const mine = (await h.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=spread'])).split('\n').filter(Boolean);
      expect(mine, h.name).toHaveLength(1);
    }
    const shown = await w.run(['server', 'show', h2!.name, '--json']);
    expect(shown.json<{ placed: string[] }>().placed).toEqual([`${w.ws}/shop/spread`, `${w.ws}/shop/staging`]);
    const removal = await w.run(['server', 'remove', h2!.name, '--json']);
    expect(removal.code).toBe(1);
    expect(removal.json<{ error: { code: string } }>().error.code).toBe('SLW_SERVER_IN_USE');
    const loads = [h1!, h2!].map((h) => edgeLoad(h.address, domain('spread')));
    expect((await w.run(['config', 'set', 'GREETING=spread v2', '-w', w.ws, '-p', 'shop', '-e', 'spread'])).code).toBe(0);
    for (const h of [h1!, h2!]) await until(() => viaEdge(h.address, domain('spread')), (x) => x.body === 'spread v2 | built once\n', 120_000, `v2 on ${h.name}`);
    await until(
      async () => (await w.run(['status', '-w', w.ws, '-p', 'shop', '--json'])).json<{ environments: Array<{ name: string; deploying: unknown; health: string }> }>().environments.find((e) => e.name === 'spread'),
      (e) => e !== undefined && !e.deploying && e.health === 'healthy',
      120_000,
      'the rolling deploy to end',
    );
    const results = await Promise.all(loads.map((l) => l.stop()));
    for (const r of results) {
      expect(r.failures).toEqual([]);
      expect(r.sent).toBeGreaterThan(10);
    }
  }, 300_000);

  it('a certificate renewal under load loses no heartbeat and no request', async () => {
    // A key rotation asked for now: the agent makes a new key and renews over its session.
    const [h1] = hosts.hosts;
    const renewals = () => agentLogs.filter((l) => l.startsWith(`[${h1!.name}]`) && l.includes('certificate renewed')).length;
    const before = renewals();
    const logsBefore = agentLogs.length;
    const load = edgeLoad(h1!.address, domain('dev'));
    const certBefore = (await w.run(['server', 'show', h1!.name, '--json'])).json<{ certificateExpiresAt: string }>().certificateExpiresAt;
    await new Promise((r) => setTimeout(r, 1_000));
    const rotated = await w.run(['server', 'rotate', h1!.name, '--json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    const beats: Array<{ state: string; at: string }> = [];
    await until(
      async () => {
        const show = (await w.run(['server', 'show', h1!.name, '--json'])).json<{ lastHeartbeatAt: string; state: string }>();
        beats.push({ state: show.state, at: show.lastHeartbeatAt });
        return renewals() > before;
      },
      (renewed) => renewed,
      30_000,
      'a renewal',
    );
    await new Promise((r) => setTimeout(r, 2_000));
    const after = (await w.run(['server', 'show', h1!.name, '--json'])).json<{ lastHeartbeatAt: string; state: string; certificateExpiresAt: string }>();
    expect(Date.parse(after.certificateExpiresAt)).toBeGreaterThan(Date.parse(certBefore));
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(result.sent).toBeGreaterThan(20);
    // One unbroken session: connected at every look, heartbeats going on, no missed-beat reconnect.
    expect(beats.every((b) => b.state === 'connected')).toBe(true);
    expect(Date.parse(after.lastHeartbeatAt)).toBeGreaterThan(Date.parse(beats[0]!.at));
    const during = agentLogs.slice(logsBefore).filter((l) => l.startsWith(`[${h1!.name}]`));
    expect(during.filter((l) => /reconnecting|session closed|no word/.test(l))).toEqual([]);
  }, 120_000);

  it('a volume on host 1 is backed up, downloaded and restored through its agent; the generation before stays there; a move to host 2 with --copy-volumes --stop-first carries all of its data', async () => {
    const [h1, h2] = hosts.hosts;
    const e = ['-w', w.ws, '-p', 'shop', '-e', 'vols'];
    const ok = async <T>(args: string[]): Promise<T> => {
      const r = await w.run([...args, '--json']);
      expect(r.code, `${args.join(' ')}: ${r.stderr}\n${agentLogs.join('').slice(-4000)}`).toBe(0);
      return r.json<T>();
    };
    const replica = async (release: number): Promise<string> => {
      const id = (await h1!.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=vols', '--filter', `label=io.slipway.release=${release}`])).split('\n').find(Boolean);
      expect(id, `a replica of vols release ${release} on ${h1!.name}`).toBeDefined();
      return id!;
    };
    const inside = (container: string, script: string) => h1!.docker(['exec', container, 'sh', '-c', script]);
    const transfers = async () => (await h1!.docker(['ps', '-aq', '--filter', 'label=io.slipway.volume-transfer'])).trim();
    let deleted = false;
    await ok(['env', 'create', 'vols', '-w', w.ws, '-p', 'shop']);
    try {
      await ok(['env', 'set', ...e, '--target', h1!.name, '--volume', 'data:/var/lib/app']);
      await ok(['deploy', ...e, '--version', '1.0.0']);
      const first = await replica(1);
      await inside(first, 'echo version one > /var/lib/app/note');

      const backup = await ok<{ id: string; volume: string; generation: number; size: number; sha256: string; release: number | null }>(['volume', 'backup', 'data', ...e]);
      expect(backup).toMatchObject({ volume: 'data', generation: 0, release: 1 });
      expect(backup.size).toBeGreaterThan(0);
      expect(await transfers()).toBe('');
      const out = join(tempDir('slipway-volume-download-'), 'data.tar');
      const saved = await ok<{ file: string; size: number; sha256: string }>(['volume', 'download', 'data', backup.id, ...e, '-o', out]);
      expect(saved).toMatchObject({ file: out, size: backup.size, sha256: backup.sha256 });
      expect(execFileSync('tar', ['-xOf', out, './note'], { encoding: 'utf8' })).toBe('version one\n');

      await inside(first, 'echo version two > /var/lib/app/note');
      const before = (await ok<{ volumes: Array<{ generation: number; volume: string }> }>(['env', 'show', ...e])).volumes[0]!;
      expect(before.generation).toBe(0);
      const restored = await ok<{ generation: number; dockerVolume: string; previous: string; deployment: { id: string; releaseNumber: number } | null }>(['volume', 'restore', 'data', backup.id, ...e]);
      expect(restored).toMatchObject({ generation: 1, previous: before.volume, dockerVolume: `${before.volume}.g1` });
      expect(restored.deployment).not.toBeNull();
      const logs = await w.run(['logs', restored.deployment!.id, '-w', w.ws, '--follow', '--json']);
      expect(logs.json<{ end: { status: string } }>().end.status, logs.stdout.slice(-2000)).toBe('succeeded');
      const now = await replica(restored.deployment!.releaseNumber);
      expect((await inside(now, 'cat /var/lib/app/note')).trim()).toBe('version one');
      // The generation before is still on host 1, with what was written after the backup.
      const image = (await h1!.docker(['inspect', '--format', '{{.Image}}', now])).trim();
      expect((await h1!.docker(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', '-v', `${before.volume}:/v:ro`, image, '-c', 'cat /v/note'])).trim()).toBe('version two');
      expect((await ok<{ backups: Array<{ id: string }> }>(['volume', 'backups', 'data', ...e])).backups.map((b) => b.id)).toEqual([backup.id]);
      expect(await transfers()).toBe('');

      // Moved to host 2 with --copy-volumes --stop-first: the replica on host 1 stopped first (a
      // writer in it appends a line every 20 ms until then), a backup there (trigger move)
      // unpacked on host 2 into generation 2, which the move's release mounts: the last line
      // written on host 1 is the last line on host 2.
      await inside(now, 'echo version three > /var/lib/app/note');
      await h1!.docker(['exec', '-d', now, 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i >> /var/lib/app/count; sleep 0.02; done']);
      await until(() => inside(now, 'cat /var/lib/app/count 2>/dev/null | wc -l'), (lines) => lines.trim() !== '0', 10_000, 'the writer to start');
      const moved = await ok<{ target: string; moving: { id: string; releaseNumber: number } | null; copiedVolumes?: Array<{ volume: string; backup: string; generation: number; dockerVolume: string }>; stoppedFirst?: number }>(['env', 'set', ...e, '--target', h2!.name, '--copy-volumes', '--stop-first']);
      expect(moved.target).toBe(h2!.name);
      expect(moved.stoppedFirst).toBe(1);
      expect(moved.copiedVolumes).toEqual([{ volume: 'data', backup: expect.any(String), size: expect.any(Number), generation: 2, dockerVolume: `${before.volume}.g2` }]);
      expect(moved.moving).not.toBeNull();
      const move = await w.run(['logs', moved.moving!.id, '-w', w.ws, '--follow', '--json']);
      expect(move.json<{ end: { status: string } }>().end.status, move.stdout.slice(-2000)).toBe('succeeded');
      const there = (await h2!.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=vols', '--filter', `label=io.slipway.release=${moved.moving!.releaseNumber}`])).split('\n').find(Boolean);
      expect(there, `a replica of vols on ${h2!.name}`).toBeDefined();
      expect((await h2!.docker(['exec', there!, 'sh', '-c', 'cat /var/lib/app/note'])).trim()).toBe('version three');
      const lastThere = Number((await h2!.docker(['exec', there!, 'sh', '-c', 'tail -n 1 /var/lib/app/count'])).trim());
      const lastHere = Number((await h1!.docker(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', '-v', `${before.volume}.g1:/v:ro`, image, '-c', 'tail -n 1 /v/count'])).trim());
      expect(lastThere).toBeGreaterThan(0);
      expect(lastThere).toBe(lastHere);
      const listed = (await ok<{ backups: Array<{ id: string; trigger: string }> }>(['volume', 'backups', 'data', ...e])).backups;
      expect(listed.map((b) => [b.id, b.trigger])).toEqual([[moved.copiedVolumes![0]!.backup, 'move'], [backup.id, 'manual']]);
      expect(await h2!.docker(['ps', '-aq', '--filter', 'label=io.slipway.volume-transfer'])).toBe('');

      // Deleting it with its volumes leaves nothing of it on host 2 (where it runs), nor its backup files here; what the move left on host 1 goes by hand.
      await ok(['env', 'delete', 'vols', '--confirm', 'vols', '--drop-volumes', '-w', w.ws, '-p', 'shop']);
      for (const h of [h1!, h2!]) expect(await h.docker(['ps', '-aq', '--filter', 'label=io.slipway.environment=vols', '--filter', `label=io.slipway.workspace=${w.ws}`])).toBe('');
      expect((await h2!.docker(['volume', 'ls', '-q'])).split('\n').filter((v) => v.startsWith(before.volume))).toEqual([]);
      const left = (await h1!.docker(['volume', 'ls', '-q'])).split('\n').filter((v) => v.startsWith(before.volume));
      expect(left.sort()).toEqual([before.volume, `${before.volume}.g1`]);
      await h1!.docker(['volume', 'rm', ...left]);
      const backupsDir = join(w.server.dataDir, 'volume-backups');
      expect(existsSync(backupsDir) ? readdirSync(backupsDir) : []).toEqual([]);
      deleted = true;
    } finally {
      // Failed half-way: still nothing of it for the tests after this one.
      if (!deleted) await w.run(['env', 'delete', 'vols', '--confirm', 'vols', '--drop-volumes', '-w', w.ws, '-p', 'shop']);
    }
  }, 120_000);

  it('the hosts keep serving while the control plane is down; its restart duplicates nothing', async () => {
    const [h1, h2] = hosts.hosts;
    const before = await workloadContainers();
    await w.server.kill9();
    const failures: string[] = [];
    let served = 0;
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      for (const [h, env] of [[h1!, 'dev'], [h2!, 'staging']] as const) {
        const r = await viaEdge(h.address, domain(env)).catch((e: Error) => ({ status: 0, body: e.message }));
        if (r.status === 200) served += 1;
        else failures.push(`${h.name} ${env}: ${r.status} ${r.body}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(100);
    await w.restart();
    await until(
      async () => (await w.run(['server', 'list', '--json'])).json<{ servers: ServerRow[] }>().servers,
      (s) => s.every((x) => x.state === 'connected'),
      30_000,
      'both agents back',
    );
    // Converged again (every 10 s): still exactly what ran before, nothing added or left over.
    await new Promise((r) => setTimeout(r, 12_000));
    expect(await workloadContainers()).toEqual(before);
    expect((await viaEdge(h1!.address, domain('dev'))).status).toBe(200);
  }, 180_000);

  it("a host's link cut during a deploy: its agent reconnects, converges, and the deploy ends cleanly", async () => {
    const [h1] = hosts.hosts;
    const changed = w.run(['config', 'set', 'GREETING=hello again from dev', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--json']);
    await new Promise((r) => setTimeout(r, 300));
    await h1!.linkDown();
    await new Promise((r) => setTimeout(r, 6_000));
    await h1!.linkUp();
    const r = await changed;
    expect(r.code, r.stderr).toBe(0);
    const ended = await until(
      async () => (await w.run(['status', '-w', w.ws, '-p', 'shop', '--json'])).json<{ environments: Array<{ name: string; health: string; deploying: { status: string } | null; release: { number: number } | null }> }>().environments.find((e) => e.name === 'dev'),
      (e) => e !== undefined && !e.deploying && e.health === 'healthy',
      120_000,
      'the deploy to end',
    );
    expect(ended?.release?.number).toBe(2);
    await until(() => viaEdge(h1!.address, domain('dev')), (x) => x.body === `hello again from dev | built once\n`, 30_000, 'the new release served');
    // One workload of dev runs on host 1, its replicas once each.
    const names = (await h1!.docker(['ps', '--format', '{{.Names}}', '--filter', `label=io.slipway.workspace=${w.ws}`])).split('\n').filter(Boolean);
    expect(new Set(names).size).toBe(names.length);
  }, 240_000);

  it('a revoked host: its environment is marked, then moved to the other host', async () => {
    const [h1, h2] = hosts.hosts;
    const revoked = await w.run(['server', 'revoke', h1!.name, '--json']);
    expect(revoked.code, revoked.stderr).toBe(0);
    const marked = await until(
      async () => (await w.run(['status', '-w', w.ws, '-p', 'shop', '--json'])).json<{ environments: Array<{ name: string; health: string; message?: string | null }> }>().environments.find((e) => e.name === 'dev'),
      (e) => e !== undefined && e.health !== 'healthy',
      60_000,
      'dev marked',
    );
    expect(JSON.stringify(marked)).toContain('revoked');
    // Host 1's containers and edge go on serving until the move is done.
    const load = edgeLoad(h1!.address, domain('dev'));
    const moved = await w.run(['env', 'set', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--target', h2!.name, '--json']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.json<{ moving: { id: string } | null }>().moving).not.toBeNull();
    await until(() => viaEdge(h2!.address, domain('dev')), (x) => x.status === 200 && x.body.startsWith('hello again from dev'), 120_000, 'dev served by host 2');
    // Host 1 went on serving throughout the move (however quick it was), and a while after.
    await new Promise((r) => setTimeout(r, 2_000));
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(result.sent).toBeGreaterThan(10);
  }, 240_000);
});

/** Containers of the test workspace on both hosts, by host and name. */
async function workloadContainers(): Promise<string[]> {
  const out: string[] = [];
  for (const h of hosts.hosts) out.push(...(await h.docker(['ps', '-a', '--format', '{{.Names}} {{.State}}', '--filter', `label=io.slipway.workspace=${w.ws}`])).split('\n').filter(Boolean).map((l) => `${h.name} ${l}`));
  return out.sort();
}

/** Requests `domain` at a host's edge about 20 times a second until stopped. */
function edgeLoad(address: string, host: string): { stop(): Promise<{ sent: number; failures: string[] }> } {
  let stopped = false;
  const failures: string[] = [];
  let sent = 0;
  const loop = (async () => {
    while (!stopped) {
      sent += 1;
      const r = await viaEdge(address, host).catch((e: Error) => ({ status: 0, body: e.message }));
      if (r.status !== 200) failures.push(`${r.status} ${r.body.slice(0, 100)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return { sent, failures };
    },
  };
}

/** Every regular file under `dir` (sockets and the like skipped). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p);
    return e.isFile() && statSync(p).size < 64 * 1024 * 1024 ? [p] : [];
  });
}
