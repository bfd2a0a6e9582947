/**
 * A small OCI distribution client for pulling from other registries: manifests (digest-checked,
 * an index resolved to one platform), blobs streamed and sha256-checked, and `pullBase` for the
 * builder (manifest + parsed config). Pull only; pushing goes to Slipway's own registry.
 *
 * @example
 * const client = new OciClient({ credentials: async (host) => creds.get(host) });
 * const base = await client.pullBase('eclipse-temurin:21-jre');
 * const { stream } = await client.getBlob(ref.registry, ref.repository, base.layers[0].digest);
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { SlipwayError } from '../../core/errors.js';
import { isDigest, ManifestError, mediaTypes, parseManifest, type Descriptor } from '../../core/oci.js';
import type { BaseImage } from '../../builder/types.js';
import { formatImageReference, parseImageReference, type ImageReference } from './reference.js';
import { Transport, type TransportOptions } from './transport.js';
import { mismatch, readLimited, sha256Of, verifiedStream } from './verify.js';

export type OciClientOptions = TransportOptions;

export interface Platform {
  os: string;
  architecture: string;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  /** sha256 of `bytes`. */
  digest: string;
  /** When an index was resolved to a platform: the index's digest. */
  indexDigest?: string;
}

const indexTypes: string[] = [mediaTypes.ociIndex, mediaTypes.dockerList];
const imageTypes: string[] = [mediaTypes.ociManifest, mediaTypes.dockerManifest];
/** Distribution's own manifest size limit. */
const maxManifestBytes = 4 * 1024 * 1024;
const maxConfigBytes = 8 * 1024 * 1024;
export const defaultPlatform: Platform = { os: 'linux', architecture: 'amd64' };

export class OciClient {
  private readonly transport: Transport;

  constructor(options: OciClientOptions = {}) {
    this.transport = new Transport(options);
  }

  /**
   * A manifest by tag or digest. By digest, the bytes must hash to it. With `resolvePlatform`,
   * an index is resolved to its entry for that platform (`true`: linux/amd64).
   */
  async getManifest(ref: string | ImageReference, accept: string[], options: { resolvePlatform?: boolean | Platform } = {}): Promise<FetchedManifest> {
    const r = typeof ref === 'string' ? parseImageReference(ref) : ref;
    const what = formatImageReference(r);
    const platform = options.resolvePlatform === true ? defaultPlatform : options.resolvePlatform || undefined;
    const wanted = platform ? [...new Set([...accept, ...indexTypes])] : accept;
    const reference = r.digest ?? r.tag ?? 'latest';
    const res = await this.transport.get({ registry: r.registry, repository: r.repository, path: `manifests/${reference}`, accept: wanted, what });
    const bytes = await readLimited(res, maxManifestBytes, what, r.registry);
    const digest = sha256Of(bytes);
    if (r.digest !== undefined && digest !== r.digest) throw mismatch(what, r.registry, r.digest, digest);
    const header = res.headers.get('docker-content-digest');
    if (r.digest === undefined && header?.startsWith('sha256:') && header !== digest) throw mismatch(what, r.registry, header, digest);
    const mediaType = res.headers.get('content-type')?.split(';')[0]?.trim() || declaredType(bytes) || '';
    if (!platform || !indexTypes.includes(mediaType)) return { bytes, mediaType, digest };
    const entry = pickPlatform(bytes, platform);
    if (!entry) throw this.transport.unavailable(`${what} has no ${platform.os}/${platform.architecture} image in its index; pick a reference that has one`);
    if (!isDigest(entry)) throw new SlipwayError('SLW_UPSTREAM_REGISTRY', `the index of ${what} names its ${platform.os}/${platform.architecture} image by something that is not a sha256 digest; pick another reference`);
    const innerAccept = accept.filter((t) => !indexTypes.includes(t));
    const inner = await this.getManifest({ registry: r.registry, repository: r.repository, digest: entry }, innerAccept.length ? innerAccept : imageTypes);
    return { ...inner, indexDigest: digest };
  }

  /**
   * The repository's tags (the distribution spec's `tags/list`), page by page with `last` (a
   * `Link` header's URL is never followed: the next page is asked of the same registry), at most
   * `max` tags.
   */
  async listTags(registry: string, repository: string, max = 10_000): Promise<string[]> {
    const what = `${registry}/${repository}`;
    const tags: string[] = [];
    let last: string | undefined;
    for (let page = 0; page < 100 && tags.length < max; page += 1) {
      const query = new URLSearchParams({ n: '1000', ...(last !== undefined ? { last } : {}) });
      const res = await this.transport.get({ registry, repository, path: `tags/list?${query.toString()}`, accept: ['application/json'], what });
      const more = (res.headers.get('link') ?? '').includes('rel="next"');
      const bytes = await readLimited(res, maxManifestBytes, what, registry);
      let body: unknown;
      try {
        body = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${registry} answered the tag list of ${repository} with something that is not JSON`);
      }
      const list = (body as { tags?: unknown }).tags;
      if (list !== null && list !== undefined && (!Array.isArray(list) || !list.every((t) => typeof t === 'string'))) {
        throw new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${registry} answered the tag list of ${repository} without a list of tags`);
      }
      const got = (list ?? []) as string[];
      tags.push(...got.slice(0, max - tags.length));
      if (!more || got.length === 0 || got.at(-1) === last) break;
      last = got.at(-1);
    }
    return tags;
  }

  /** A blob as a stream that fails unless its bytes hash to `digest` (and, if given, total `size`). */
  async getBlob(registry: string, repository: string, digest: string, options: { size?: number } = {}): Promise<{ stream: Readable; size: number | undefined }> {
    const what = `${registry}/${repository}@${digest}`;
    const res = await this.transport.get({ registry, repository, path: `blobs/${digest}`, what });
    const length = res.headers.get('content-length');
    const size = options.size ?? (length !== null && /^\d+$/.test(length) ? Number(length) : undefined);
    if (options.size !== undefined && length !== null && Number(length) !== options.size) {
      await res.body?.cancel();
      throw new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${registry} announced ${length} bytes for ${what}, expected ${options.size}`);
    }
    return { stream: verifiedStream(res, digest, size, what, registry), size };
  }

  /** A small blob (a config) read whole and digest-checked. */
  async getBlobBytes(registry: string, repository: string, digest: string, max = maxConfigBytes): Promise<Buffer> {
    const what = `${registry}/${repository}@${digest}`;
    const res = await this.transport.get({ registry, repository, path: `blobs/${digest}`, what });
    const bytes = await readLimited(res, max, what, registry);
    const actual = sha256Of(bytes);
    if (actual !== digest) throw mismatch(what, registry, digest, actual);
    return bytes;
  }

  /** A base image for the builder: the linux/amd64 image manifest and its parsed config. */
  async pullBase(reference: string, platform: Platform = defaultPlatform): Promise<BaseImage> {
    const r = parseImageReference(reference);
    const what = formatImageReference(r);
    const m = await this.getManifest(r, [...imageTypes, ...indexTypes], { resolvePlatform: platform });
    if (!imageTypes.includes(m.mediaType)) throw this.transport.unavailable(`${what} is not an image manifest (${[...imageTypes].join(' or ')}); pick an image reference`);
    const [config, ...layers] = imageBlobs(m, what, r.registry);
    if (!config) throw new SlipwayError('SLW_UPSTREAM_REGISTRY', `the manifest of ${what} has no config`);
    const bytes = await this.getBlobBytes(r.registry, r.repository, config.digest);
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SlipwayError('SLW_UPSTREAM_REGISTRY', `the config of ${what} is not a JSON object`);
    return { reference, manifestDigest: m.digest, family: m.mediaType === mediaTypes.ociManifest ? 'oci' : 'docker', config: parsed as Record<string, unknown>, layers };
  }
}

function imageBlobs(m: FetchedManifest, what: string, registry: string): Descriptor[] {
  try {
    return parseManifest(m.bytes, m.mediaType).blobs;
  } catch (error) {
    if (error instanceof ManifestError) throw new SlipwayError('SLW_UPSTREAM_REGISTRY', `registry ${registry} sent a manifest for ${what} that is not a valid OCI or Docker image manifest; check the reference`);
    throw error;
  }
}

function declaredType(bytes: Buffer): string | undefined {
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown };
    return typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  } catch {
    return undefined;
  }
}

/** The digest of an index's entry for `platform` (variant ignored), if any. */
function pickPlatform(bytes: Buffer, platform: Platform): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  const manifests = (doc as { manifests?: unknown }).manifests;
  if (!Array.isArray(manifests)) return undefined;
  for (const m of manifests as { digest?: unknown; platform?: { os?: unknown; architecture?: unknown } }[]) {
    if (m.platform?.os === platform.os && m.platform.architecture === platform.architecture && typeof m.digest === 'string') return m.digest;
  }
  return undefined;
}
