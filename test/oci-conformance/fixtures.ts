/** Random content and manifests for one harness run (unique per run, so reruns do not collide). */
import { createHash, randomBytes } from 'node:crypto';

export const sha256 = (data: Uint8Array) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export const types = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  empty: 'application/vnd.oci.empty.v1+json',
};

export interface Blob {
  bytes: Buffer;
  digest: string;
}

export function blob(size = 1024): Blob {
  const bytes = randomBytes(size);
  return { bytes, digest: sha256(bytes) };
}

export function jsonBlob(value: unknown): Blob {
  const bytes = Buffer.from(JSON.stringify(value));
  return { bytes, digest: sha256(bytes) };
}

/** An image manifest (OCI unless `docker`), as bytes with its digest. */
export function imageManifest(config: Blob, layers: Blob[], options: { docker?: boolean; subject?: { digest: string; size: number; mediaType: string }; artifactType?: string; annotations?: Record<string, string> } = {}): Blob & { mediaType: string } {
  const docker = options.docker === true;
  const doc: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: docker ? types.dockerManifest : types.ociManifest,
    config: { mediaType: docker ? types.dockerConfig : options.artifactType ? types.empty : types.ociConfig, digest: config.digest, size: config.bytes.length },
    layers: layers.map((l) => ({ mediaType: docker ? types.dockerLayer : types.ociLayer, digest: l.digest, size: l.bytes.length })),
  };
  if (options.artifactType) doc.artifactType = options.artifactType;
  if (options.subject) doc.subject = options.subject;
  if (options.annotations) doc.annotations = options.annotations;
  const m = jsonBlob(doc);
  return { ...m, mediaType: doc.mediaType as string };
}

export function indexManifest(entries: Array<{ digest: string; size: number }>): Blob & { mediaType: string } {
  const m = jsonBlob({ schemaVersion: 2, mediaType: types.ociIndex, manifests: entries.map((e) => ({ mediaType: types.ociManifest, digest: e.digest, size: e.size, platform: { architecture: 'amd64', os: 'linux' } })) });
  return { ...m, mediaType: types.ociIndex };
}

export const runId = () => randomBytes(4).toString('hex');
