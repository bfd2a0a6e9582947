/**
 * Test helper: Debian's docker-registry (Distribution 2.8) on a free 127.0.0.1 port with its
 * own config and storage in a temp dir, and an OCI image layout writer for `skopeo copy`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const dockerRegistryBinary = '/usr/bin/docker-registry';
export const haveDockerRegistry = existsSync(dockerRegistryBinary);
export const haveSkopeo = spawnSync('skopeo', ['--version']).status === 0;

export interface PeerRegistry {
  /** `127.0.0.1:<port>`. */
  host: string;
  stop(): Promise<void>;
}

/** A loopback port nothing listens on (just released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function startDockerRegistry(): Promise<PeerRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-peer-'));
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: {level: warn, accesslog: {disabled: true}}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: 127.0.0.1:${port}}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(dockerRegistryBinary, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`docker-registry did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface LayoutManifest {
  tag: string;
  mediaType: string;
  bytes: Buffer;
}

/** Writes an OCI image layout: the blobs, and index.json naming each manifest by tag. */
export function writeOciLayout(dir: string, blobs: Buffer[], manifests: LayoutManifest[]): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  for (const b of [...blobs, ...manifests.map((m) => m.bytes)]) writeFileSync(join(dir, 'blobs', 'sha256', sha256(b).slice(7)), b);
  const index = {
    schemaVersion: 2,
    manifests: manifests.map((m) => ({ mediaType: m.mediaType, digest: sha256(m.bytes), size: m.bytes.length, annotations: { 'org.opencontainers.image.ref.name': m.tag } })),
  };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
}

/** `skopeo copy` to the peer over plain http; extra args e.g. `--all`, `--format v2s2`. */
export function skopeoCopy(from: string, to: string, extra: string[] = []): void {
  const r = spawnSync('skopeo', ['--insecure-policy', 'copy', '-q', '--dest-tls-verify=false', ...extra, from, to], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo copy failed: ${r.stderr}`);
}
