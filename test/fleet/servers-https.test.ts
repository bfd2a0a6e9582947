/**
 * HTTPS on servers' edges, end to end: two test hosts (network namespaces, each with its own
 * Docker engine and agent) whose edges listen on ports 80 and 443 (the defaults) of their
 * addresses; a local ACME CA (Caddy's `acme_server`) on the bridge, named to the control plane
 * with `--acme-directory` and `--acme-ca-root`; a public-looking domain resolved to host 1 through
 * a temporary /etc/hosts line so the CA can validate it (http-01 or tls-alpn-01).
 *
 * Checked: the domain's certificate comes from the ACME CA and the client verifies it; HTTP
 * redirects to HTTPS; a private name on host 2 gets `tls internal` from that edge's own CA;
 * `slipway env show` shows each certificate, and so does the environment's Settings tab in the panel
 * (Debian's Chromium); a rolling deploy behind HTTPS loses no request.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaddyAdmin } from '../../src/edge/caddy-admin.js';
import { adminSocketOf } from '../../src/edge/caddy-supervisor.js';
import { plainGet, secureGet } from '../../src/edge/test-support/http.js';
import { TEST_ACME_ISSUER, startAcmeCa, type AcmeCa } from '../support/acme-ca.js';
import { launchBrowser, screenshot, signIn } from '../support/browser.js';
import { deployWorld, type DeployWorld } from '../support/deploy.js';
import { addHostsLines } from '../support/etc-hosts.js';
import { createTestHosts, type TestHosts } from '../support/hosts.js';
import { cleanup, slipwayBin, tempDir } from '../support/server-process.js';

let hosts: TestHosts;
let w: DeployWorld;
let ca: AcmeCa;
let removeHostsLines: (() => void) | undefined;
let domain: string;
const agents: ChildProcess[] = [];
const agentDirs = new Map<string, string>();
const agentLogs: string[] = [];
const internalDomain = (env: string) => `${env}.shop.${w.ws}.localhost`;

interface Certificate {
  server: string;
  domain: string;
  state: string;
  source: string;
  issuer: string | null;
  notAfter: string | null;
  error: string | null;
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const value = await fn();
      last = value;
      if (ok(value)) return value;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}\nagent logs:\n${agentLogs.join('').slice(-6000)}\nACME CA:\n${ca?.logs().slice(-3000)}`);
}

function freePortOn(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, address, () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function certificates(env: string): Promise<Certificate[]> {
  const shown = await w.run(['env', 'show', '-w', w.ws, '-p', 'shop', '-e', env, '--json']);
  if (shown.code !== 0) throw new Error(shown.stderr);
  return shown.json<{ certificates: Certificate[] }>().certificates;
}

beforeAll(async () => {
  hosts = await createTestHosts({ count: 2 });
  domain = `shop-${hosts.runId}.slipway.test`;
  removeHostsLines = addHostsLines([{ address: hosts.hosts[0]!.address, name: domain }]);
  ca = await startAcmeCa(hosts.bridgeAddress, await freePortOn(hosts.bridgeAddress));
  w = await deployWorld({
    workspace: 'fleethttps',
    args: ['--gateway-listen', `${hosts.bridgeAddress}:0`, '--acme-directory', ca.directory, '--acme-ca-root', ca.rootFile],
    env: { SLIPWAY_AGENT_HEARTBEAT: '1' },
  });
  await w.server.waitForLogs((l) => l.includes('agent gateway on'));
  for (const h of hosts.hosts) {
    const added = await w.run(['server', 'add', h.name, '--json']);
    expect(added.code, added.stderr).toBe(0);
    const dir = join(tempDir('slipway-agent-'), 'agent');
    agentDirs.set(h.name, dir);
    // No --http-port/--https-port: the defaults, 80 and 443, on the host's own address.
    const child = h.spawn(process.execPath, [slipwayBin, 'agent', '--join', added.json<{ joinToken: string }>().joinToken, '--data-dir', dir, '--docker-host', h.dockerHost, '--advertise-address', h.address], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => agentLogs.push(`[${h.name}] ${String(d)}`));
    child.stderr?.on('data', (d: Buffer) => agentLogs.push(`[${h.name}] ${String(d)}`));
    agents.push(child);
  }
  await until(
    async () => (await w.run(['server', 'list', '--json'])).json<{ servers: Array<{ state: string }> }>().servers,
    (s) => s.length === 2 && s.every((x) => x.state === 'connected'),
    30_000,
    'two connected servers',
  );
}, 300_000);

afterAll(async () => {
  try {
    for (const a of agents) a.kill('SIGTERM');
    await w?.dispose();
    await hosts?.destroy();
    await ca?.stop();
  } finally {
    removeHostsLines?.();
    await cleanup();
  }
});

describe("HTTPS on servers' edges", () => {
  it('a public domain gets its certificate from the ACME directory of the instance, verified by the client; HTTP redirects to HTTPS', async () => {
    const h1 = hosts.hosts[0]!;
    expect((await w.run(['env', 'set', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--target', h1.name, '--domain', domain])).code).toBe(0);
    expect((await w.run(['config', 'set', 'GREETING=hello over https', '-w', w.ws, '-p', 'shop', '-e', 'dev'])).code).toBe(0);
    const dev = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--version', '1.0.0', '--json']);
    expect(dev.code, `${dev.stderr}\n${agentLogs.join('')}`).toBe(0);

    // Verified against the test CA's root only: the certificate chains to it and covers the name.
    const answer = await until(() => secureGet(`${h1.address}:443`, domain, ca.rootPem, '/'), (r) => r.status === 200, 60_000, 'an HTTPS answer with a verified certificate');
    expect(answer.body).toBe('hello over https | built once\n');
    expect(await plainGet(`${h1.address}:80`, domain, '/some/path?q=1')).toMatchObject({ status: 308, location: `https://${domain}/some/path?q=1` });
    expect(await plainGet(`${h1.address}:80`, `nobody-${hosts.runId}.slipway.test`)).toMatchObject({ status: 404 });

    const [cert] = await until(() => certificates('dev'), (c) => c.length === 1 && c[0]!.state === 'valid', 30_000, 'env show listing a valid certificate');
    expect(cert).toMatchObject({ server: h1.name, domain, state: 'valid', source: 'acme', issuer: TEST_ACME_ISSUER, error: null });
    expect(Date.parse(cert!.notAfter ?? '')).toBeGreaterThan(Date.now());
    const text = await w.run(['env', 'show', '-w', w.ws, '-p', 'shop', '-e', 'dev']);
    expect(text.stdout).toContain(`${domain} on ${h1.name}: valid (acme, issued by ${TEST_ACME_ISSUER}, until`);
    // The agent kept the instance's settings for restarts without the control plane.
    expect(agentLogs.join('')).toContain(`certificates for public names now from ${ca.directory}`);
  }, 300_000);

  it("a private name on host 2 gets tls internal from that edge's own CA; each edge serves only its own domains", async () => {
    const h2 = hosts.hosts[1]!;
    expect((await w.run(['env', 'set', '-w', w.ws, '-p', 'shop', '-e', 'staging', '--target', h2.name])).code).toBe(0);
    const staging = await w.run(['promote', '-w', w.ws, '-p', 'shop', '--from', 'dev', '--to', 'staging', '--json']);
    expect(staging.code, `${staging.stderr}\n${agentLogs.join('')}`).toBe(0);
    const root = await new CaddyAdmin(adminSocketOf(join(agentDirs.get(h2.name)!, 'caddy'))).internalRoot();
    const answer = await until(() => secureGet(`${h2.address}:443`, internalDomain('staging'), root), (r) => r.status === 200, 60_000, 'HTTPS on host 2');
    // The same image with staging's own config (no GREETING there).
    expect(answer.body).toBe('hello | built once\n');
    // Not from the ACME CA: its root does not verify it.
    await expect(secureGet(`${h2.address}:443`, internalDomain('staging'), ca.rootPem)).rejects.toThrow(/certificate/);
    const [cert] = await until(() => certificates('staging'), (c) => c[0]?.state === 'valid', 30_000, 'a valid internal certificate');
    expect(cert).toMatchObject({ server: h2.name, domain: internalDomain('staging'), source: 'internal', error: null });
    expect(cert?.issuer).toMatch(/Caddy Local Authority/);
    // Host 2 neither routes nor has a certificate for host 1's domain.
    expect((await plainGet(`${h2.address}:80`, domain)).status).toBe(404);
    await expect(secureGet(`${h2.address}:443`, domain, ca.rootPem)).rejects.toThrow();
  }, 300_000);

  it("the panel's Settings tab shows each environment's certificate as env show does: server, state, source, issuer, expiry, error", async () => {
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      for (const [env, host] of [['dev', hosts.hosts[0]!], ['staging', hosts.hosts[1]!]] as const) {
        const [cert] = await certificates(env);
        await signIn(page, `${w.server.url}/w/${w.ws}/p/shop/e/${env}/settings`, w.server.adminToken);
        const row = page.getByRole('region', { name: 'Certificates' }).locator(`tr[data-certificate="${host.name}"]`);
        await row.waitFor({ timeout: 60_000 });
        const text = await row.innerText();
        expect(cert?.state).toBe('valid');
        for (const part of [cert!.domain, host.name, 'valid', cert!.issuer!, cert!.notAfter!, 'none']) expect(text).toContain(part);
        expect(text).toContain(cert!.source === 'acme' ? 'ACME' : 'internal');
        expect(await page.getByRole('region', { name: 'Certificates' }).locator('tr[data-certificate]').count()).toBe(1);
        await screenshot(page, `fleet-certificates-${env}`);
        await page.evaluate('sessionStorage.clear()');
      }
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('a rolling deploy behind HTTPS loses no request', async () => {
    const h1 = hosts.hosts[0]!;
    const load = httpsLoad(h1.address, domain, ca.rootPem);
    const set = await w.run(['config', 'set', 'GREETING=hello again over https', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--json']);
    expect(set.code, set.stderr).toBe(0);
    const { deployment } = set.json<{ deployment: { id: string } }>();
    const logs = await w.run(['logs', deployment.id, '-w', w.ws, '--follow', '--json']);
    expect(logs.json<{ end: { status: string } }>().end.status).toBe('succeeded');
    await until(() => secureGet(`${h1.address}:443`, domain, ca.rootPem), (r) => r.body === 'hello again over https | built once\n', 30_000, 'the new release over HTTPS');
    const result = await load.stop();
    console.log(`[servers-https] ${result.sent} HTTPS requests during the rolling deploy, ${result.failures.length} failed, ${result.retried} retried after a reused connection closed`);
    expect(result.failures).toEqual([]);
    expect(result.sent).toBeGreaterThan(50);
    expect([...result.bodies.keys()].sort()).toEqual(['hello again over https | built once\n', 'hello over https | built once\n']);
  }, 300_000);
});

/**
 * HTTPS GETs on keep-alive connections (4 at a time) until stopped, verifying every certificate
 * against `ca`. Like browsers (RFC 9110 §9.2.2), a GET that fails on a reused idle connection
 * before any byte arrived is retried once on a new one (Caddy closes idle connections at each
 * config change); any other failure counts.
 */
function httpsLoad(address: string, host: string, ca: string) {
  const agent = new Agent({ keepAlive: true, ca, servername: host, maxSockets: 4 });
  const result = { sent: 0, retried: 0, failures: [] as string[], bodies: new Map<string, number>() };
  let running = true;
  const once = (fresh: boolean) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: address, port: 443, path: '/', headers: { host }, ca, servername: host, agent: fresh ? false : agent, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', (error: NodeJS.ErrnoException) => reject(Object.assign(error, { reused: req.reusedSocket })));
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
  const worker = async () => {
    while (running) {
      result.sent += 1;
      try {
        const res = await once(false).catch((error: NodeJS.ErrnoException & { reused?: boolean }) => {
          if (!error.reused || (error.code !== 'ECONNRESET' && error.message !== 'socket hang up')) throw error;
          result.retried += 1;
          return once(true);
        });
        if (res.status === 200) result.bodies.set(res.body, (result.bodies.get(res.body) ?? 0) + 1);
        else result.failures.push(`HTTP ${res.status}: ${res.body.slice(0, 120)}`);
      } catch (error) {
        result.failures.push((error as Error).message);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const workers = Array.from({ length: 4 }, () => worker());
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return result;
    },
  };
}
