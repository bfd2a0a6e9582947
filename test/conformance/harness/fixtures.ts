/**
 * Content the conformance checks push: random blobs, and OCI image manifests, image indexes
 * and Docker schema 2 manifests built from them. Everything is random per run (blobs, config
 * nonces, tag names), so reruns against the same registry never collide with earlier content.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';

export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface Blob {
  bytes: Buffer;
  digest: string;
  size: number;
}

/** A manifest or index: its exact bytes, digest and the media type it is pushed with. */
export interface Manifest extends Blob {
  mediaType: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Eight random hex characters, to make tags and blobs unique to one run. */
export function runId(): string {
  return randomBytes(4).toString('hex');
}

export function blobOf(bytes: Buffer): Blob {
  return { bytes, digest: sha256(bytes), size: bytes.length };
}

/** `size` random bytes. */
export function randomBlob(size: number): Blob {
  return blobOf(randomBytes(size));
}

/** A digest of random bytes that nothing was pushed under. */
export function unknownDigest(): string {
  return sha256(randomBytes(32));
}

/** The OCI empty JSON blob `{}` (sha256:44136fa3…). */
export const emptyJson: Blob = blobOf(Buffer.from('{}'));

/** A small image config whose bytes are unique to this call. */
export function imageConfig(layers: Blob[]): Blob {
  const config = {
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: { 'org.slipway.conformance.nonce': randomBytes(8).toString('hex') } },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
  };
  return blobOf(Buffer.from(JSON.stringify(config)));
}

export function describe(b: Blob, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType, digest: b.digest, size: b.size, ...extra };
}

function manifestOf(doc: object, mediaType: string): Manifest {
  return { ...blobOf(Buffer.from(JSON.stringify(doc, null, 2))), mediaType };
}

export interface ImageOptions {
  /** Defaults to the OCI image config media type. */
  configMediaType?: string;
  layerMediaType?: string;
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An OCI image manifest over a config and layers (which the caller pushes). */
export function ociManifest(config: Blob, layers: Blob[], options: ImageOptions = {}): Manifest {
  return manifestOf(
    {
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      ...(options.artifactType ? { artifactType: options.artifactType } : {}),
      config: describe(config, options.configMediaType ?? mediaTypes.ociConfig),
      layers: layers.map((l) => describe(l, options.layerMediaType ?? mediaTypes.ociLayer)),
      ...(options.subject ? { subject: options.subject } : {}),
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    mediaTypes.ociManifest,
  );
}

/** An OCI image index over manifests (which the caller pushes). */
export function ociIndex(manifests: Descriptor[], options: Omit<ImageOptions, 'configMediaType' | 'layerMediaType'> = {}): Manifest {
  return manifestOf(
    {
      schemaVersion: 2,
      mediaType: mediaTypes.ociIndex,
      ...(options.artifactType ? { artifactType: options.artifactType } : {}),
      manifests,
      ...(options.subject ? { subject: options.subject } : {}),
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    mediaTypes.ociIndex,
  );
}

/** A Docker image manifest v2 schema 2 over a config and layers. */
export function dockerManifest(config: Blob, layers: Blob[]): Manifest {
  return manifestOf(
    {
      schemaVersion: 2,
      mediaType: mediaTypes.dockerManifest,
      config: describe(config, mediaTypes.dockerConfig),
      layers: layers.map((l) => describe(l, mediaTypes.dockerLayer)),
    },
    mediaTypes.dockerManifest,
  );
}

/** A fresh image: a random layer of `layerSize` bytes, its config, and the manifest over both. */
export function randomImage(layerSize = 2048, options: ImageOptions = {}): { config: Blob; layers: Blob[]; manifest: Manifest } {
  const layers = layerSize > 0 ? [randomBlob(layerSize)] : [];
  const config = imageConfig(layers);
  return { config, layers, manifest: ociManifest(config, layers, options) };
}

export function descriptorOf(m: Manifest, extra: Partial<Descriptor> = {}): Descriptor {
  return describe(m, m.mediaType, extra);
}
