/**
 * `slipway build` on the server: receive the artifact, pick the base, build the image with the
 * daemonless builder, and commit it into the project's repository under its version tag
 * (immutable) and its content tag `src-<12 hex of the artifact digest>`.
 *
 * The same artifact built twice gives the same digest and stores no new blob; a version tag that
 * already names other content is refused with SLW_VERSION_EXISTS and nothing is stored.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { SlipwayError } from '../core/errors.js';
import { isTag, parseManifest } from '../core/oci.js';
import { recordAudit } from '../audit/audit.js';
import { artifactDigestLabel, buildImage, runtimeLabel } from '../builder/build.js';
import { openArchive } from '../builder/archive/archive.js';
import { resolveLayout } from '../builder/runtimes/detect.js';
import { parseRuntime } from '../core/runtimes.js';
import { runtimes, type ArchiveLimits, type BaseImage, type Runtime } from '../builder/types.js';
import type { ProjectAccess } from '../projects/projects.js';
import { statBlob, storeOwnBlob } from '../registry/blobs.js';
import { RegistryError } from '../registry/errors.js';
import { immutableTagDigest, putManifest } from '../registry/manifests.js';
import type { Registry } from '../registry/registry.js';
import { repositoryOfProject, type Repository } from '../registry/repositories.js';
import type { Db } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { openBuildArea, receiveArtifact } from './artifact-upload.js';
import { defaultBases, linkBaseLayers, ownBase, splitReference } from './base-images.js';

export interface BuildRequest {
  version: string;
  runtime?: string | undefined;
  base?: string | undefined;
  /** Extra image labels (a git build's commit and repository). */
  labels?: Record<string, string>;
}

export interface BuildServices {
  db: Db;
  registry: Registry;
  dataDir: string;
  maxArtifactBytes: number;
  /** What an artifact may unpack to (absent: the builder's defaults). */
  unpackLimits?: Partial<ArchiveLimits>;
  /** Host[:port] names under which clients reach this server (its own registry). */
  selfHosts: string[];
  /** Fetches a base image from another registry into `target` (absent: only own bases work). */
  remoteBase?: (reference: string, target: Repository, workspaceId: string) => Promise<BaseImage>;
}

export interface BuildResult {
  repository: string;
  version: string;
  digest: string;
  mediaType: string;
  tags: string[];
  runtime: Runtime;
  artifactDigest: string;
  artifactBytes: number;
  size: number;
  base: { reference: string; digest: string };
  /** Blobs new to this repository (0 when the same artifact was built before); whether another repository holds them is never told. */
  newBlobs: number;
  steps: { name: string; ms: number }[];
}

/** The content tag of an artifact digest: `src-` and its first 12 hex digits. */
export function contentTag(artifactDigest: string): string {
  return `src-${artifactDigest.replace(/^sha256:/, '').slice(0, 12)}`;
}

export async function buildFromUpload(services: BuildServices, access: ProjectAccess, request: BuildRequest, body: Readable, declaredLength: number | undefined): Promise<BuildResult> {
  if (!isTag(request.version) || request.version.startsWith('src-') || /^sha256-/.test(request.version)) {
    throw new SlipwayError('SLW_VALIDATION', `version ${JSON.stringify(request.version)} is not a valid tag: letters, digits, '.', '_' and '-', at most 128, not starting with '.', '-', 'src-' or 'sha256-' (e.g. 1.4.2)`);
  }
  const area = await openBuildArea(services.dataDir);
  try {
    const started = performance.now();
    const { size: artifactBytes, digest: artifactDigest } = await receiveArtifact(body, area.artifact, services.maxArtifactBytes, declaredLength);
    const uploadMs = Math.round(performance.now() - started);
    const repo = await repositoryOfProject(services.db, access.workspace, access.project);

    const t0 = performance.now();
    const reused = await reuseEarlierBuild(services, access, repo, request, artifactDigest, artifactBytes);
    if (reused) {
      reused.steps.unshift({ name: 'receive artifact', ms: uploadMs });
      return reused;
    }
    const reference = request.base ?? defaultBaseOf(request.runtime !== undefined ? parseRuntime(request.runtime) : await detectRuntime(area.artifact, area.dir, services.unpackLimits));
    const base = await resolveBase(services, access, reference, repo);
    const baseMs = Math.round(performance.now() - t0);

    const built = await buildImage({ artifactPath: area.artifact, artifactDigest, runtime: request.runtime, version: request.version, base, workDir: area.dir, ...(request.labels ? { labels: request.labels } : {}), ...(services.unpackLimits ? { limits: services.unpackLimits } : {}) });
    const t1 = performance.now();
    // Refuse before storing anything: a refused build leaves no blob behind.
    const existing = await services.db.selectFrom('registry_tags').select('digest').where('repository_id', '=', repo.id).where('tag', '=', request.version).executeTakeFirst();
    const fixed = existing?.digest ?? (await immutableTagDigest(services.db, repo, request.version));
    if (fixed !== null && fixed !== built.manifest.digest) throw versionExists(repo, request.version, fixed);
    // Counted per repository: whether another workspace stored the same bytes is not this caller's business.
    let newBlobs = 0;
    const store = async (blob: Parameters<typeof storeOwnBlob>[2]): Promise<void> => {
      const linked = (await statBlob(services.db, repo, blob.digest)) !== null;
      await storeOwnBlob(services.registry.store, repo, blob);
      if (!linked) newBlobs += 1;
    };
    for (const layer of built.newLayers) await store(layer);
    await store({ digest: built.config.digest, size: built.config.bytes.length, bytes: built.config.bytes });
    const manifestKnown = await services.db.selectFrom('registry_manifests').select('digest').where('repository_id', '=', repo.id).where('digest', '=', built.manifest.digest).executeTakeFirst();
    try {
      await putManifest(services.registry.store, repo, request.version, built.manifest.mediaType, built.manifest.bytes, { immutableTag: true });
    } catch (error) {
      if (error instanceof RegistryError && error.code === 'TAG_IMMUTABLE') {
        throw versionExists(repo, request.version, String((error.detail as { digest?: string }).digest ?? ''));
      }
      throw error;
    }
    if (!manifestKnown) newBlobs += 1;
    const srcTag = contentTag(built.artifactDigest);
    await putManifest(services.registry.store, repo, srcTag, built.manifest.mediaType, built.manifest.bytes, { contentTag: true });
    const commitMs = Math.round(performance.now() - t1);

    const size = built.manifest.bytes.length + built.config.bytes.length + base.layers.reduce((n, l) => n + l.size, 0) + built.newLayers.reduce((n, l) => n + l.size, 0);
    await recordAudit(services.db, actorOf(access.principal), {
      workspaceId: access.workspace.id,
      action: 'image.build',
      targetType: 'image',
      target: `${repo.name}:${request.version}`,
      details: { digest: built.manifest.digest, artifactDigest: built.artifactDigest, runtime: built.runtime, base: reference },
    });
    return {
      repository: repo.name,
      version: request.version,
      digest: built.manifest.digest,
      mediaType: built.manifest.mediaType,
      tags: [request.version, srcTag],
      runtime: built.runtime,
      artifactDigest: built.artifactDigest,
      artifactBytes,
      size,
      base: { reference, digest: base.manifestDigest },
      newBlobs,
      steps: [{ name: 'receive artifact', ms: uploadMs }, { name: 'resolve base image', ms: baseMs }, ...built.steps, { name: 'store image', ms: commitMs }],
    };
  } finally {
    await area.remove();
  }
}

const baseDigestLabel = 'org.opencontainers.image.base.digest';

/**
 * The image an earlier build of the same version made from the same artifact on the same base
 * (as the base reference resolves now), or null when the version is free. A version that names
 * another build is SLW_VERSION_EXISTS.
 */
export async function reuseEarlierBuild(services: BuildServices, access: ProjectAccess, repo: Repository, request: BuildRequest, artifactDigest: string, artifactBytes: number): Promise<BuildResult | null> {
  const started = performance.now();
  const earlier = await earlierBuild(services, repo, request.version);
  if (!earlier) return null;
  const requested = request.runtime === undefined ? undefined : parseRuntime(request.runtime);
  // The label comes from an image anyone with push access could have written: checked, never used as a key as is.
  const labelled = runtimes.find((r) => r === earlier.labels[runtimeLabel]);
  const runtime = requested ?? labelled;
  if (earlier.labels[artifactDigestLabel] !== artifactDigest || !runtime || labelled !== runtime) throw versionExists(repo, request.version, earlier.digest);
  const reference = request.base ?? defaultBaseOf(runtime);
  const base = await resolveBase(services, access, reference, repo);
  if (earlier.labels[baseDigestLabel] !== base.manifestDigest) throw versionExists(repo, request.version, earlier.digest);
  return {
    repository: repo.name,
    version: request.version,
    digest: earlier.digest,
    mediaType: earlier.mediaType,
    tags: [request.version, contentTag(artifactDigest)],
    runtime,
    artifactDigest,
    artifactBytes,
    size: earlier.size,
    base: { reference, digest: base.manifestDigest },
    newBlobs: 0,
    steps: [{ name: 'reuse the earlier build', ms: Math.round(performance.now() - started) }],
  };
}

/** The image a version tag already names, with its config labels; null when the tag is free. */
async function earlierBuild(services: BuildServices, repo: Repository, version: string): Promise<{ digest: string; mediaType: string; size: number; labels: Record<string, string> } | null> {
  const tag = await services.db.selectFrom('registry_tags').select('digest').where('repository_id', '=', repo.id).where('tag', '=', version).executeTakeFirst();
  if (!tag) return null;
  const manifest = await services.db.selectFrom('registry_manifests').select(['media_type', 'total_size']).where('repository_id', '=', repo.id).where('digest', '=', tag.digest).executeTakeFirst();
  if (!manifest) return null;
  let labels: Record<string, string> = {};
  try {
    const info = parseManifest(await services.registry.store.blobs.readAll(tag.digest), manifest.media_type);
    const config = info.blobs[0];
    if (config) {
      const doc = JSON.parse((await services.registry.store.blobs.readAll(config.digest)).toString('utf8')) as { config?: { Labels?: Record<string, string> } };
      labels = doc.config?.Labels ?? {};
    }
  } catch {
    labels = {};
  }
  return { digest: tag.digest, mediaType: manifest.media_type, size: Number(manifest.total_size), labels };
}

function versionExists(repo: Repository, version: string, digest: string): SlipwayError {
  return new SlipwayError('SLW_VERSION_EXISTS', `version ${version} of ${repo.name} already names another image (${digest}); versions are immutable: build with a new --version`);
}

/** The default base of a runtime (a checked one: `defaultBases` is never indexed by raw input). */
function defaultBaseOf(runtime: Runtime): string {
  return defaultBases[runtime];
}

async function detectRuntime(artifact: string, workDir: string, limits?: Partial<ArchiveLimits>): Promise<Runtime> {
  const archive = await openArchive(artifact, workDir, limits);
  try {
    return (await resolveLayout(archive)).runtime;
  } finally {
    await archive.close();
  }
}

async function resolveBase(services: BuildServices, access: ProjectAccess, reference: string, target: Repository): Promise<BaseImage> {
  const parts = splitReference(reference);
  if (parts.host && services.selfHosts.includes(parts.host.toLowerCase())) {
    const { base, source } = await ownBase(services.db, services.registry, access.principal, reference, parts.name, parts.digest ?? parts.tag ?? 'latest');
    await linkBaseLayers(services.db, source, target, base);
    return base;
  }
  if (!services.remoteBase) throw new SlipwayError('SLW_BASE_IMAGE_UNAVAILABLE', `base image ${reference} is in another registry, and fetching from other registries is not available`);
  return services.remoteBase(reference, target, access.workspace.id);
}
