/**
 * The builder's public shapes: what `buildImage` takes (an artifact, a base image, limits) and
 * what it gives back (config and manifest bytes, the new layer files, timings).
 *
 * @module
 */
import type { Descriptor } from '../core/oci.js';
import type { Runtime } from '../core/runtimes.js';

/** The runtimes the builder knows (core/runtimes.ts). */
export { runtimes, type Runtime } from '../core/runtimes.js';

/** A base image, already fetched: its manifest digest, family and parsed config. */
export interface BaseImage {
  /** What the user named, e.g. `eclipse-temurin:21-jre`. */
  reference: string;
  /** Digest of the (platform-specific) image manifest used; empty for {@link scratchBase}. */
  manifestDigest: string;
  /** Media-type family of the base manifest; the built manifest uses the same one. */
  family: 'oci' | 'docker';
  /** The base's parsed config JSON. */
  config: Record<string, unknown>;
  /** The base's layers, in order. */
  layers: Descriptor[];
}

/** Limits on what an archive may unpack to. */
export interface ArchiveLimits {
  /** Bytes unpacked: the data of every entry (files, directories, links, metadata), and for a tar.gz every decompressed byte (default 2 GiB). */
  maxUnpackedBytes: number;
  /** Number of entries: files, directories and links (default 200 000). */
  maxEntries: number;
  /** Most bytes unpacked per byte of the artifact as uploaded (default 100). */
  maxRatio: number;
  /** Unpacked bytes below which the ratio is not checked (default 32 MiB). */
  ratioFloorBytes: number;
}

export const defaultLimits: ArchiveLimits = { maxUnpackedBytes: 2 * 1024 ** 3, maxEntries: 200_000, maxRatio: 100, ratioFloorBytes: 32 * 1024 ** 2 };

export interface BuildInput {
  /** The uploaded file: a JAR, zip, tar or tar.gz. */
  artifactPath: string;
  /** The artifact's sha256 when the caller computed it already (while receiving it). */
  artifactDigest?: string;
  /** `java`, `static` or `node`; detected from the artifact when absent. */
  runtime?: string;
  /** The version label (`org.opencontainers.image.version`). */
  version: string;
  base: BaseImage;
  /** Scratch directory: layer files are written here (and stay for the caller to upload). */
  workDir: string;
  limits?: Partial<ArchiveLimits>;
  /** Extra config labels (e.g. the git commit and repository a build came from). */
  labels?: Record<string, string>;
}

/** A new layer blob written to `file`. */
export interface BuiltLayer {
  digest: string;
  size: number;
  /** sha256 of the uncompressed tar (`rootfs.diff_ids`). */
  diffId: string;
  mediaType: string;
  file: string;
}

export interface BuiltBlob {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

export interface BuiltImage {
  runtime: Runtime;
  /** sha256 of the uploaded file. */
  artifactDigest: string;
  config: BuiltBlob;
  manifest: BuiltBlob;
  newLayers: BuiltLayer[];
  steps: { name: string; ms: number }[];
}
