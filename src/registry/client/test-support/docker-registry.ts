/**
 * Test helpers of the client's tests: Debian's docker-registry through the shared helper
 * (test/support/docker-registry.ts), and an OCI image layout writer for `skopeo copy`.
 */
import { spawnSync } from 'node:child_process';
import { startDockerRegistry as startPeer } from '../../../../test/support/docker-registry.js';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export { dockerRegistryBinary, freePort, haveDockerRegistry } from '../../../../test/support/docker-registry.js';
export const haveSkopeo = spawnSync('skopeo', ['--version']).status === 0;

export interface PeerRegistry {
  /** `127.0.0.1:<port>`. */
  host: string;
  stop(): Promise<void>;
}

/** Debian's docker-registry on a free loopback port (the shared test helper). */
export async function startDockerRegistry(): Promise<PeerRegistry> {
  const peer = await startPeer();
  return { host: peer.host, stop: () => peer.stop() };
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
