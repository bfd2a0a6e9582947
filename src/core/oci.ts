/**
 * OCI vocabulary, pure: digests, repository names, tags, media types, and what a manifest refers
 * to. Used by the registry (validation, reference tracking) and the builder (what it writes).
 *
 * @module
 */

/** `sha256:<64 hex>`, the only algorithm Slipway stores. */
export const digestPattern = /^sha256:[a-f0-9]{64}$/;
/** Any algorithm the spec's grammar allows (so we can say "unsupported" rather than "invalid"). */
const anyDigestPattern = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** A repository name component, as the distribution spec defines it. */
const componentPattern = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
/** A tag, as the distribution spec defines it. */
export const tagPattern = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Manifest media types the registry accepts on PUT. */
export const manifestMediaTypes: readonly string[] = [mediaTypes.ociManifest, mediaTypes.ociIndex, mediaTypes.dockerManifest, mediaTypes.dockerList];

export function isDigest(value: string): boolean {
  return digestPattern.test(value);
}

/** True for a digest of an algorithm Slipway does not store (well-formed but not sha256). */
export function isForeignDigest(value: string): boolean {
  return !digestPattern.test(value) && anyDigestPattern.test(value) && !value.startsWith('sha256:');
}

export function isTag(value: string): boolean {
  return tagPattern.test(value);
}

/** A repository name per the spec's grammar, at most 255 characters. */
export function isRepositoryName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  return name.split('/').every((part) => componentPattern.test(part));
}

/** A descriptor: what a manifest says about a blob or another manifest. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture?: string; os?: string };
}

/** What a stored manifest refers to, read from its bytes. */
export interface ManifestInfo {
  mediaType: string;
  /** Blobs it needs (config and layers); empty for an index. */
  blobs: Descriptor[];
  /** Manifests it needs (an index's entries); empty for an image manifest. */
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
  configMediaType?: string;
}

/** Why a manifest was refused. */
export class ManifestError extends Error {}

/**
 * Parses a manifest's bytes and says what it refers to. `contentType` is the request's
 * Content-Type; a manifest's own `mediaType` field, when present, must agree with it.
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ManifestInfo {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ManifestError('manifest is not valid UTF-8 JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ManifestError('manifest is not a JSON object');
  const m = doc as Record<string, unknown>;
  const declared = typeof m.mediaType === 'string' ? m.mediaType : undefined;
  const type = contentType?.split(';')[0]?.trim() || declared;
  if (!type || !manifestMediaTypes.includes(type)) throw new ManifestError(`unsupported manifest media type ${JSON.stringify(type ?? '')}; use one of ${manifestMediaTypes.join(', ')}`);
  if (declared !== undefined && declared !== type) throw new ManifestError(`manifest mediaType ${declared} does not match Content-Type ${type}`);
  if (m.schemaVersion !== 2) throw new ManifestError('manifest schemaVersion must be 2');
  const info: ManifestInfo = { mediaType: type, blobs: [], manifests: [] };
  if (m.subject !== undefined) info.subject = descriptor(m.subject, 'subject');
  if (typeof m.artifactType === 'string') info.artifactType = m.artifactType;
  if (m.annotations !== undefined) info.annotations = stringMap(m.annotations, 'annotations');
  if (type === mediaTypes.ociIndex || type === mediaTypes.dockerList) {
    if (!Array.isArray(m.manifests)) throw new ManifestError('an index needs a manifests array');
    info.manifests = m.manifests.map((d, i) => descriptor(d, `manifests[${i}]`));
    return info;
  }
  const config = descriptor(m.config, 'config');
  if (!Array.isArray(m.layers)) throw new ManifestError('an image manifest needs a layers array');
  info.configMediaType = config.mediaType;
  info.blobs = [config, ...m.layers.map((d, i) => descriptor(d, `layers[${i}]`))];
  return info;
}

function descriptor(value: unknown, where: string): Descriptor {
  if (typeof value !== 'object' || value === null) throw new ManifestError(`${where} is not a descriptor object`);
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string') throw new ManifestError(`${where}.mediaType is missing`);
  if (typeof d.digest !== 'string' || !anyDigestPattern.test(d.digest)) throw new ManifestError(`${where}.digest is not a digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw new ManifestError(`${where}.size is not a non-negative integer`);
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (typeof d.artifactType === 'string') out.artifactType = d.artifactType;
  if (d.annotations !== undefined) out.annotations = stringMap(d.annotations, `${where}.annotations`);
  if (typeof d.platform === 'object' && d.platform !== null) {
    const p = d.platform as Record<string, unknown>;
    out.platform = {};
    if (typeof p.architecture === 'string') out.platform.architecture = p.architecture;
    if (typeof p.os === 'string') out.platform.os = p.os;
  }
  return out;
}

function stringMap(value: unknown, where: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ManifestError(`${where} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new ManifestError(`${where}.${k} must be a string`);
    out[k] = v;
  }
  return out;
}

/** A parsed `Content-Range: <start>-<end>` (inclusive). */
export function parseContentRange(value: string): { start: number; end: number } | null {
  const match = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(value.trim());
  if (!match) return null;
  const start = Number(match[1]);
  const end = Number(match[2]);
  return end >= start ? { start, end } : null;
}

/** A repository-scoped action a registry token can carry. */
export type RegistryAction = 'pull' | 'push' | 'delete';

/** One requested scope `repository:<name>:<actions>`; other resource types are kept as-is. */
export interface RequestedScope {
  type: string;
  name: string;
  actions: string[];
}

/** Parses a token request's scope; the name may contain colons (host:port), so split from the right. */
export function parseScope(scope: string): RequestedScope | null {
  const last = scope.lastIndexOf(':');
  if (last <= 0) return null;
  const first = scope.indexOf(':');
  if (first === last) return null;
  const type = scope.slice(0, first).replace(/\(.*\)$/, '');
  const name = scope.slice(first + 1, last);
  const actions = scope.slice(last + 1).split(',').filter((a) => a.length > 0);
  return { type, name, actions };
}
