/**
 * Image operations: pull (credentials only in `X-Registry-Auth`, progress as JSON lines, an
 * error line fails the pull), existence, inspection (health check, digests) and removal.
 *
 * @module
 */
import { DockerError } from './errors.js';
import { registryAuthHeader, splitImageRef } from './image-ref.js';
import { jsonLines } from './streams.js';
import { pathSegment, type DockerRequest, type DockerTransport } from './transport.js';
import type { HealthcheckSpec, PullProgress, RegistryAuth } from './types.js';
import { fromWireHealthcheck, type WireHealthcheck } from './wire.js';

/** What a local image is, from `GET /images/{name}/json`. */
export interface ImageDetails {
  /** `sha256:…` of the image's config. */
  id: string;
  repoTags: string[];
  /** `repo@sha256:…` for each registry it was pulled from or pushed to. */
  repoDigests: string[];
  labels: Record<string, string>;
  healthcheck: HealthcheckSpec | null;
}

interface WireImage {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Config?: { Labels?: Record<string, string> | null; Healthcheck?: WireHealthcheck | null } | null;
}

interface PullLine {
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Pulls `ref`; resolves with the manifest digest the engine reported, when it did. */
export async function pullImage(t: DockerTransport, ref: string, auth?: RegistryAuth, onProgress?: (line: PullProgress) => void): Promise<{ digest?: string }> {
  const { fromImage, tag } = splitImageRef(ref);
  const req: DockerRequest = { method: 'POST', path: '/images/create', query: { fromImage, tag }, headers: auth ? { 'x-registry-auth': registryAuthHeader(auth) } : {} };
  const res = await t.open(req);
  await t.assertOk(res, req).catch((error: unknown) => {
    // E.g. 500 "unauthorized: …" before any progress: say which pull it was.
    throw error instanceof DockerError ? new DockerError(error.statusCode, `pull of ${ref} failed: ${error.message}`, error.operation) : error;
  });
  let digest: string | undefined;
  try {
    for await (const raw of jsonLines(res)) {
      const line = raw as PullLine;
      const failure = line.errorDetail?.message || line.error;
      if (failure) throw new DockerError(res.statusCode ?? 200, `pull of ${ref} failed: ${failure}`, 'POST /images/create');
      if (typeof line.status !== 'string') continue;
      const found = /^Digest: (\S+)/.exec(line.status);
      if (found?.[1]) digest = found[1];
      onProgress?.({ status: line.status, ...(line.id ? { id: line.id } : {}), ...(line.progress ? { progress: line.progress } : {}) });
    }
  } finally {
    res.destroy();
  }
  return digest ? { digest } : {};
}

/** The local image `ref`, or null when there is none. */
export async function inspectImage(t: DockerTransport, ref: string): Promise<ImageDetails | null> {
  const r = await t.call<WireImage>({ method: 'GET', path: `/images/${pathSegment(ref)}/json` }, [404]);
  if (r.status === 404 || !r.body) return null;
  const i = r.body;
  return {
    id: i.Id,
    repoTags: i.RepoTags ?? [],
    repoDigests: i.RepoDigests ?? [],
    labels: i.Config?.Labels ?? {},
    healthcheck: fromWireHealthcheck(i.Config?.Healthcheck),
  };
}

/** The image's HEALTHCHECK; null when it has none. Throws {@link DockerError} (404) when there is no such image. */
export async function imageHealthcheck(t: DockerTransport, ref: string): Promise<HealthcheckSpec | null> {
  const image = await inspectImage(t, ref);
  if (!image) throw new DockerError(404, `No such image: ${ref}`, 'GET /images/{name}/json');
  return image.healthcheck;
}

/** Removes the local image `ref` (its tag, and the image when nothing else names it); absent is fine. */
export async function removeImage(t: DockerTransport, ref: string, options: { force?: boolean } = {}): Promise<void> {
  await t.call({ method: 'DELETE', path: `/images/${pathSegment(ref)}`, query: { force: options.force ?? false } }, [404]);
}
