/**
 * Test and benchmark helper: Debian's docker-registry (Distribution 2.8) on a free 127.0.0.1
 * port, with its own config and filesystem storage in a temp dir (deletes enabled, access log
 * off, log level warn), optionally serving another peer's storage and sending its notifications
 * to an endpoint. `stop()` ends the process and removes the temp dir.
 *
 * The binary comes from `apt-get install -y docker-registry` (scripts/test.sh installs it).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export { freePort };

export const dockerRegistryBinary = '/usr/bin/docker-registry';

/** Whether the Debian package is installed. */
export const haveDockerRegistry = existsSync(dockerRegistryBinary);

export interface DockerRegistry {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  /** e.g. `127.0.0.1:41234`, for image references. */
  host: string;
  /** The temp dir holding config.yml and the storage (removed by `stop`). */
  dir: string;
  stop(): Promise<void>;
}

/** Options of {@link startDockerRegistry}. */
export interface DockerRegistryOptions {
  startupMs?: number;
  /** Serve this storage directory (e.g. another peer's `${dir}/data`) instead of a fresh one; it is not removed by `stop`. */
  rootDirectory?: string;
  /** Send the registry's notifications (its `notifications.endpoints`) to this URL with these headers. */
  notify?: { url: string; headers: Record<string, string> };
}

/** Starts docker-registry and resolves once `GET /v2/` answers 200 (15 s at most). */
export async function startDockerRegistry(options: DockerRegistryOptions = {}): Promise<DockerRegistry> {
  if (!haveDockerRegistry) throw new Error(`${dockerRegistryBinary} is missing: apt-get install -y docker-registry`);
  const dir = mkdtempSync(join(tmpdir(), 'slipway-docker-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${JSON.stringify(options.rootDirectory ?? join(dir, 'data'))}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      ...(options.notify
        ? [
            'notifications:',
            '  endpoints:',
            '    - name: under-test',
            `      url: ${JSON.stringify(options.notify.url)}`,
            '      headers:',
            ...Object.entries(options.notify.headers).map(([k, v]) => `        ${k}: [${JSON.stringify(v)}]`),
            '      timeout: 2s',
            '      threshold: 3',
            '      backoff: 1s',
          ]
        : []),
      '',
    ].join('\n'),
  );
  const child = spawn(dockerRegistryBinary, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString('utf8');
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const url = `http://${host}`;
  const deadline = Date.now() + (options.startupMs ?? 15_000);
  for (;;) {
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200) return { url, host, dir, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry did not answer on ${url}/v2/: ${stderr.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
