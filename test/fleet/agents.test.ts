/**
 * Servers and agents for real, on both store engines: the agent gateway over TLS on loopback and
 * the agent in this process (its key, CSR, pinned CA, WebSocket over mTLS, heartbeats, renewal).
 * Join; a reused, expired or wrongly pinned token; a foreign or expired certificate; revocation
 * (the session drops, later handshakes are refused); renewal while heartbeating loses no beat.
 */
import { X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAgent } from '../../src/agent/main.js';
import type { SessionEvents } from '../../src/agent/session.js';
import { saveIdentity, loadIdentity } from '../../src/agent/state.js';
import { InternalCa, newKeyAndCsr } from '../../src/fleet/ca.js';
import { decodeJoinToken, encodeJoinToken } from '../../src/fleet/join-token.js';
import { addServer, listServers, removeServer, revokeServer, showServer, type FleetContext } from '../../src/fleet/servers.js';
import { AgentSessions } from '../../src/fleet/sessions.js';
import { FleetState } from '../../src/fleet/desired.js';
import { startGateway, type RunningGateway } from '../../src/server/gateway.js';
import { engines } from '../support/engines.js';
import { expectCode, member, setupContext, testKeyring, workspace, type TestContext } from '../support/service-fixtures.js';
import { AgentTarget, FleetPlacements } from '../../src/fleet/agent-target.js';
import { staticPlacements } from '../../src/deploy/placements.js';

const scratch = mkdtempSync(join(tmpdir(), 'slipway-agents-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const agentDir = () => join(scratch, `agent-${(n += 1)}`);

/** Waits until `check` holds (polling every 20 ms), failing after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Session events recorded for assertions. */
function recorder() {
  const r = { connects: 0, disconnects: [] as number[], acks: [] as number[], renewals: [] as string[], logs: [] as string[] };
  const events: SessionEvents = {
    connected: () => (r.connects += 1),
    disconnected: (code) => r.disconnects.push(code),
    heartbeatAcked: (seq) => r.acks.push(seq),
    renewed: (notAfter) => r.renewals.push(notAfter),
    log: (level, message) => r.logs.push(`${level} ${message}`),
  };
  return { r, events };
}

describe.each(engines)('servers and agents (%s)', (engine) => {
  let ctx: TestContext;
  let fleet: FleetContext;
  let gateway: RunningGateway;
  let upstream: HttpServer | undefined;
  const stops: Array<() => void> = [];

  async function boot(options: { certMs?: number; heartbeat?: number } = {}) {
    const sessions = new AgentSessions();
    fleet = { db: ctx.db, ca: await InternalCa.open(join(scratch, `cp-${engine}-${(n += 1)}`), testKeyring()), sessions, state: new FleetState(ctx.db, testKeyring(), sessions), gatewayUrl: null, agentCertificateMs: options.certMs ?? 3_600_000, heartbeatSeconds: options.heartbeat ?? 1 };
    // The registry behind the gateway: a plain HTTP server standing in for the API's /v2/.
    upstream = createHttpServer((req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`registry ${req.method ?? ''} ${req.url ?? ''}`));
    await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as AddressInfo).port;
    gateway = await startGateway(fleet, { host: '127.0.0.1', port: 0 }, undefined, pino({ level: 'silent' }), { host: '127.0.0.1', port });
    fleet.gatewayUrl = gateway.url;
  }

  beforeEach(async () => {
    ctx = await setupContext(engine);
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    await gateway?.close();
    upstream?.close();
    await ctx.cleanup();
  });

  it('joins with a single-use token, connects over mTLS, heartbeats with metrics', async () => {
    await boot();
    const added = await addServer(fleet, ctx.admin, { name: 'web1', labels: { region: 'eu' }, tokenTtlSeconds: 600 });
    expect(added.server.state).toBe('pending');
    expect(added.joinCommand).toContain(added.joinToken);
    const stored = await ctx.db.selectFrom('server_join_tokens').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(decodeJoinToken(added.joinToken).secret);

    const { r, events } = recorder();
    const dir = agentDir();
    const agent = await startAgent({ dataDir: dir, joinToken: added.joinToken, events });
    stops.push(() => agent.stop());
    expect(agent.joined).toBe(true);
    await until(() => r.acks.length >= 2, 10_000, 'two acknowledged heartbeats');
    const [server] = await listServers(fleet, ctx.admin);
    expect(server).toMatchObject({ name: 'web1', state: 'connected', labels: { region: 'eu' }, hostname: expect.any(String) });
    expect(server?.metrics?.memoryTotalBytes).toBeGreaterThan(0);
    expect(server?.metrics?.diskTotalBytes).toBeGreaterThan(0);
    // The key never left the agent's directory, readable by its owner only.
    expect(statSync(join(dir, 'agent.key')).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(readFileSync(join(dir, 'agent.crt')));
    expect(fleet.ca.issued(cert)).toBe(true);
    expect(await ctx.db.selectFrom('audit_events').select('action').where('action', '=', 'server.join').execute()).toHaveLength(1);

    // The gateway's registry route: for this agent's pulls only, on registry paths only.
    const id = loadIdentity(dir)!;
    const call = (method: string, path: string, withCert: boolean) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const u = new URL(gateway.url);
        // The path as given (a URL would normalise `..` away before sending).
        const req = httpsRequest({ host: u.hostname, port: u.port, path, method, ca: id.caPem, ...(withCert ? { cert: id.certificatePem, key: id.keyPem } : {}) }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += String(c)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    expect(await call('GET', '/v2/', false)).toMatchObject({ status: 401, body: expect.stringContaining('SLW_AGENT_CERT_INVALID') });
    expect(await call('PUT', '/v2/acme/web/manifests/x', true)).toMatchObject({ status: 403, body: expect.stringContaining('SLW_FORBIDDEN') });
    expect(await call('GET', '/v2/../api/v1/servers', true)).toMatchObject({ status: 400 });
    expect(await call('GET', '/v2/a//b', true)).toMatchObject({ status: 400 });
    expect(await call('GET', '/v2/acme/web/blobs/sha256:00', true)).toEqual({ status: 200, body: 'registry GET /v2/acme/web/blobs/sha256:00' });

    // The token worked once: a second agent with it is refused, and stores nothing.
    const second = agentDir();
    await expectCode(() => startAgent({ dataDir: second, joinToken: added.joinToken }), 'SLW_JOIN_TOKEN_INVALID');
    expect(readdirSync(second)).toEqual([]);
    // Stopped and started again, the agent reconnects with what it stored (no token needed).
    agent.stop();
    const again = recorder();
    const restarted = await startAgent({ dataDir: dir, events: again.events });
    stops.push(() => restarted.stop());
    expect(restarted.joined).toBe(false);
    await until(() => again.r.acks.length >= 1, 10_000, 'a heartbeat after the restart');
  });

  it('refuses an expired token and a token pinning another CA, spending neither', async () => {
    await boot();
    const added = await addServer(fleet, ctx.admin, { name: 'web2', labels: {}, tokenTtlSeconds: 600 });
    const t = decodeJoinToken(added.joinToken);
    const wrongPin = encodeJoinToken({ ...t, caPin: 'b'.repeat(64) });
    const e = await expectCode(() => startAgent({ dataDir: agentDir(), joinToken: wrongPin }), 'SLW_CA_PIN_MISMATCH');
    expect(e.message).toContain('nothing was sent');
    expect((await showServer(fleet, ctx.admin, 'web2')).state).toBe('pending');

    await ctx.db.updateTable('server_join_tokens').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).execute();
    await expectCode(() => startAgent({ dataDir: agentDir(), joinToken: added.joinToken }), 'SLW_JOIN_TOKEN_INVALID');
    expect((await showServer(fleet, ctx.admin, 'web2')).state).toBe('pending');
    const used = await ctx.db.selectFrom('server_join_tokens').select('used_at').executeTakeFirstOrThrow();
    expect(used.used_at).toBeNull();
  });

  it('refuses a foreign and an expired certificate at the handshake', async () => {
    await boot();
    const added = await addServer(fleet, ctx.admin, { name: 'web3', labels: {}, tokenTtlSeconds: 600 });
    const dir = agentDir();
    const agent = await startAgent({ dataDir: dir, joinToken: added.joinToken });
    agent.stop();
    const identity = loadIdentity(dir)!;

    // Same server id, signed by another instance's CA.
    const foreign = await InternalCa.open(join(scratch, `foreign-${engine}`), testKeyring());
    const k = await newKeyAndCsr('x');
    saveIdentity(dir, { ...identity, keyPem: k.keyPem, certificatePem: (await foreign.signAgent(k.csrPem, identity.serverId, 3_600_000)).certificatePem });
    const f = await startAgent({ dataDir: dir });
    await expect(f.done).rejects.toMatchObject({ code: 'SLW_AGENT_CERT_INVALID' });

    // Ours, but expired.
    saveIdentity(dir, { ...identity, keyPem: k.keyPem, certificatePem: (await fleet.ca.signAgent(k.csrPem, identity.serverId, -30_000)).certificatePem });
    const x = await startAgent({ dataDir: dir });
    await expect(x.done).rejects.toMatchObject({ code: 'SLW_AGENT_CERT_INVALID', message: expect.stringContaining('expired') });
    expect((await showServer(fleet, ctx.admin, 'web3')).state).toBe('unreachable');
  });

  it('revokes: the live session drops at once and later handshakes are refused', async () => {
    await boot();
    const added = await addServer(fleet, ctx.admin, { name: 'web4', labels: {}, tokenTtlSeconds: 600 });
    const { r, events } = recorder();
    const dir = agentDir();
    const agent = await startAgent({ dataDir: dir, joinToken: added.joinToken, events });
    await until(() => r.acks.length >= 1, 10_000, 'a heartbeat');
    const started = performance.now();
    await revokeServer(fleet, ctx.admin, 'web4');
    await expect(agent.done).rejects.toMatchObject({ code: 'SLW_SERVER_REVOKED' });
    const droppedMs = performance.now() - started;
    console.log(`[agents ${engine}] revoked session dropped after ${droppedMs.toFixed(1)} ms`);
    expect(fleet.sessions.size).toBe(0);
    expect((await showServer(fleet, ctx.admin, 'web4')).state).toBe('revoked');
    const later = await startAgent({ dataDir: dir });
    await expect(later.done).rejects.toMatchObject({ code: 'SLW_SERVER_REVOKED' });
    // A join token of a revoked server is spent with it.
    await expectCode(() => startAgent({ dataDir: agentDir(), joinToken: added.joinToken }), 'SLW_JOIN_TOKEN_INVALID');
  });

  it("moves a volume's tar to and from the agent's own engine through the gateway's transfer endpoint (mTLS), bound to that server", async () => {
    await boot();
    const added = await addServer(fleet, ctx.admin, { name: 'vol1', labels: {}, tokenTtlSeconds: 600 });
    const { r, events } = recorder();
    const dir = agentDir();
    const agent = await startAgent({ dataDir: dir, joinToken: added.joinToken, events });
    stops.push(() => agent.stop());
    await until(() => r.acks.length >= 1, 10_000, 'a heartbeat');
    const id = loadIdentity(dir)!;
    // An image the agent's engine has under the name its registry proxy rewrites to (so nothing is pulled): no files at all.
    const tag = `vt-${engine}-${process.pid}`;
    const image = `${agent.registryHost}/agents/${tag}:1`;
    execFileSync('docker', ['import', '-', image], { input: execFileSync('tar', ['-cf', '-', '--files-from', '/dev/null']) });
    const volume = `slw-test-${tag}`;
    const access = { name: `slw-vio-${tag}`, volume, path: '/data', image: `cp.invalid:5000/agents/${tag}:1`, registryAuth: { registry: 'cp.invalid:5000', username: 'u', password: 'p' } };
    const target = new AgentTarget('vol1', id.serverId, fleet.state);
    const files = mkdtempSync(join(tmpdir(), 'slipway-vt-'));
    try {
      mkdirSync(join(files, 'sub'));
      writeFileSync(join(files, 'sub', 'note'), 'written on the control plane\n');
      const tar = execFileSync('tar', ['-C', files, '-cf', '-', '.']);
      await target.importVolume({ ...access, labels: { 'io.slipway.managed': 'true' } }, (async function* () {
        yield tar;
      })());
      const chunks: Buffer[] = [];
      for await (const c of target.exportVolume(access)) chunks.push(Buffer.from(c));
      const back = Buffer.concat(chunks);
      expect(execFileSync('tar', ['-xOf', '-', './sub/note'], { input: back, encoding: 'utf8' })).toBe('written on the control plane\n');
      expect(fleet.state.transfers.size).toBe(0);
      expect(execFileSync('docker', ['ps', '-aq', '--filter', `label=io.slipway.volume-transfer=${volume}`], { encoding: 'utf8' }).trim()).toBe('');

      // Only the server a transfer was opened for reaches it, and only with its certificate.
      const open = fleet.state.transfers.offerDownload('srv_someone_else', (async function* () {
        yield Buffer.from('not for vol1');
      })());
      const call = (withCert: boolean) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const u = new URL(gateway.url);
          const req = httpsRequest({ host: u.hostname, port: u.port, path: `/v1/transfers/${open.id}`, method: 'GET', ca: id.caPem, ...(withCert ? { cert: id.certificatePem, key: id.keyPem } : {}) }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += String(c)));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end();
        });
      expect(await call(true)).toMatchObject({ status: 404, body: expect.stringContaining('SLW_NOT_FOUND') });
      expect(await call(false)).toMatchObject({ status: 401, body: expect.stringContaining('SLW_AGENT_CERT_INVALID') });
      open.close();
      // A volume the agent cannot read fails the export with the engine's error, and leaves no transfer open.
      await expect((async () => {
        for await (const c of target.exportVolume({ ...access, image: 'cp.invalid:5000/agents/none:1' })) void c;
      })()).rejects.toThrow();
      expect(fleet.state.transfers.size).toBe(0);
    } finally {
      rmSync(files, { recursive: true, force: true });
      execFileSync('docker', ['volume', 'rm', '-f', volume]);
      execFileSync('docker', ['rmi', '-f', image]);
    }
  });

  it('renews its certificate over the session without losing a heartbeat', async () => {
    // Certificates of 3 s: renewed about every 2 s; heartbeats every second.
    await boot({ certMs: 3_000, heartbeat: 1 });
    const added = await addServer(fleet, ctx.admin, { name: 'web5', labels: {}, tokenTtlSeconds: 600 });
    const { r, events } = recorder();
    const dir = agentDir();
    const agent = await startAgent({ dataDir: dir, joinToken: added.joinToken, events });
    stops.push(() => agent.stop());
    const first = readFileSync(join(dir, 'agent.crt'), 'utf8');
    await until(() => r.renewals.length >= 3, 20_000, 'three renewals');
    const acked = [...r.acks].sort((a, b) => a - b);
    // Every heartbeat sent so far was acknowledged, in one unbroken session.
    expect(acked).toEqual(Array.from({ length: acked.length }, (_, i) => i + 1));
    expect(r.connects).toBe(1);
    expect(r.disconnects).toEqual([]);
    const now = readFileSync(join(dir, 'agent.crt'), 'utf8');
    expect(now).not.toBe(first);
    expect(fleet.ca.issued(new X509Certificate(now))).toBe(true);
    // The renewed identity connects again after a restart.
    agent.stop();
    const again = recorder();
    const restarted = await startAgent({ dataDir: dir, events: again.events });
    stops.push(() => restarted.stop());
    await until(() => again.r.acks.length >= 1, 10_000, 'a heartbeat with the renewed certificate');
    expect(existsSync(join(dir, 'agent.key'))).toBe(true);
  });

  it("a workspace owner adds a server dedicated to the workspace; nobody else sees or uses it", async () => {
    await boot();
    const a = await workspace(ctx, 'alpha');
    const b = await workspace(ctx, 'bravo');
    const ownerA = (await member(ctx, a, 'ann@example.com', 'owner')).principal;
    const devA = (await member(ctx, a, 'dan@example.com', 'developer')).principal;
    const ownerB = (await member(ctx, b, 'bob@example.com', 'owner')).principal;
    await expectCode(() => addServer(fleet, ownerA, { name: 'shared', labels: {}, tokenTtlSeconds: 600 }), 'SLW_FORBIDDEN');
    await expectCode(() => addServer(fleet, devA, { name: 'mine', labels: {}, tokenTtlSeconds: 600, workspace: 'alpha' }), 'SLW_FORBIDDEN');
    await expectCode(() => addServer(fleet, ownerB, { name: 'mine', labels: {}, tokenTtlSeconds: 600, workspace: 'alpha' }), 'SLW_NOT_FOUND');
    const added = await addServer(fleet, ownerA, { name: 'mine', labels: { zone: 'x' }, tokenTtlSeconds: 600, workspace: 'alpha' });
    expect(added.server.workspace).toBe('alpha');
    await addServer(fleet, ctx.admin, { name: 'shared', labels: { zone: 'x' }, tokenTtlSeconds: 600 });
    expect((await listServers(fleet, ownerA)).map((x) => x.name)).toEqual(['mine']);
    expect((await listServers(fleet, ctx.admin)).map((x) => [x.name, x.workspace])).toEqual([
      ['mine', 'alpha'],
      ['shared', null],
    ]);
    await expectCode(() => showServer(fleet, ownerB, 'mine'), 'SLW_NOT_FOUND');
    await expectCode(() => revokeServer(fleet, ownerB, 'mine'), 'SLW_NOT_FOUND');
    await expectCode(() => listServers(fleet, devA), 'SLW_FORBIDDEN');
    // Placement: alpha's environments may use its server and the instance's; bravo's only the instance's, also by label.
    const agent = await startAgent({ dataDir: agentDir(), joinToken: added.joinToken });
    stops.push(() => agent.stop());
    const placements = new FleetPlacements(staticPlacements({}), ctx.db, fleet.state);
    await placements.refresh();
    expect(placements.allows('mine', a.workspace.id)).toBe(true);
    expect(placements.allows('mine', b.workspace.id)).toBe(false);
    expect(placements.allows('mine,shared', b.workspace.id)).toBe(false);
    expect(placements.allows('shared', b.workspace.id)).toBe(true);
    expect(placements.members('label:zone=x')).toEqual([]);
    // The owner revokes and removes it; audit entries land in the workspace's log.
    expect((await revokeServer(fleet, ownerA, 'mine')).state).toBe('revoked');
    await expect(agent.done).rejects.toMatchObject({ code: 'SLW_SERVER_REVOKED' });
    await removeServer(fleet, ownerA, 'mine');
    const audit = await ctx.db.selectFrom('audit_events').select('action').where('workspace_id', '=', a.workspace.id).where('action', 'like', 'server.%').execute();
    expect(audit.map((x) => x.action).sort()).toEqual(['server.add', 'server.remove', 'server.revoke']);
  });
});
