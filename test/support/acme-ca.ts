/**
 * A local ACME CA for tests: a Caddy with the `acme_server` handler (the `pki` app's internal CA,
 * never installed into the machine's trust store) on `address:port`, over HTTPS with a
 * certificate of that CA for the address itself. Its directory is
 * `https://ADDRESS:PORT/acme/local/directory`; clients trust `rootPem` (also in `rootFile`).
 * Certificates it issues are signed by its intermediate, "Slipway Test ACME Intermediate".
 *
 * It validates http-01 and tls-alpn-01 challenges by resolving the names itself (the machine's
 * resolver: /etc/hosts, see etc-hosts.ts) and dialing ports 80 and 443.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AcmeCa {
  directory: string;
  rootPem: string;
  rootFile: string;
  /** The CA Caddy's log lines so far (for failure messages). */
  logs(): string;
  stop(): Promise<void>;
}

/** The common name of the intermediate that signs what the test CA issues. */
export const TEST_ACME_ISSUER = 'Slipway Test ACME Intermediate';

export async function startAcmeCa(address: string, port: number): Promise<AcmeCa> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-acme-ca-'));
  const home = join(dir, 'home');
  const config = {
    admin: { listen: `unix/${join(dir, 'admin.sock')}`, config: { persist: false } },
    apps: {
      pki: { certificate_authorities: { local: { install_trust: false, name: 'Slipway test ACME CA', root_common_name: 'Slipway Test ACME Root', intermediate_common_name: TEST_ACME_ISSUER } } },
      tls: { certificates: { automate: [address] }, automation: { policies: [{ subjects: [address], issuers: [{ module: 'internal' }] }] } },
      http: { servers: { acme: { listen: [`${address}:${port}`], automatic_https: { disable: true }, tls_connection_policies: [{}], routes: [{ handle: [{ handler: 'acme_server' }] }] } } },
    },
  };
  writeFileSync(join(dir, 'caddy.json'), JSON.stringify(config));
  let output = '';
  const child: ChildProcess = spawn('caddy', ['run', '--config', join(dir, 'caddy.json')], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += String(d)));
  child.stderr?.on('data', (d: Buffer) => (output += String(d)));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const stop = async () => {
    process.off('exit', kill);
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const rootFile = join(home, 'data', 'caddy', 'pki', 'authorities', 'local', 'root.crt');
  const directory = `https://${address}:${port}/acme/local/directory`;
  const deadline = Date.now() + 15_000;
  // The CA is up once its root exists and the directory answers over TLS that chains to it.
  for (;;) {
    if (existsSync(rootFile) && (await answers(directory, readFileSync(rootFile, 'utf8')))) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the test ACME CA did not come up on ${address}:${port}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { directory, rootPem: readFileSync(rootFile, 'utf8'), rootFile, logs: () => output, stop };
}

async function answers(url: string, ca: string): Promise<boolean> {
  const { request } = await import('node:https');
  return new Promise((resolve) => {
    const req = request(url, { ca, timeout: 2_000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
