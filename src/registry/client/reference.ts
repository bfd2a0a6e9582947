/**
 * Image references as people write them (`nginx:1`, `ghcr.io/acme/app@sha256:…`,
 * `127.0.0.1:5000/t1/app:v1`), with Docker Hub's defaults: no host means
 * `registry-1.docker.io`, and a one-part name there means `library/<name>`. The first part is a
 * host when it has a `.` or `:`, is `localhost`, or is a bracketed IPv6 address.
 *
 * @module
 */
import { SlipwayError } from '../../core/errors.js';
import { isDigest, isRepositoryName, isTag } from '../../core/oci.js';

export const dockerHub = 'registry-1.docker.io';

export interface ImageReference {
  /** `host[:port]`. */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const hostPattern = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::\d{1,5})?$/;

function refInvalid(ref: string, why: string): SlipwayError {
  return new SlipwayError('SLW_IMAGE_REF_INVALID', `image reference ${JSON.stringify(ref)} ${why}; write it as [HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST], e.g. eclipse-temurin:21-jre`);
}

export function parseImageReference(ref: string): ImageReference {
  if (ref.length === 0 || ref.length > 1024 || /\s/.test(ref)) throw refInvalid(ref, 'is empty, too long or has spaces');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw refInvalid(ref, `has the digest ${JSON.stringify(digest)}, which is not sha256:<64 lowercase hex>`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isTag(tag)) throw refInvalid(ref, `has the tag ${JSON.stringify(tag)}, which is not a valid tag`);
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  let registry = dockerHub;
  let repository = rest;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    if (!hostPattern.test(first)) throw refInvalid(ref, `has the host ${JSON.stringify(first)}, which is not a host name or address`);
    registry = first;
    repository = rest.slice(slash + 1);
  }
  if (registry === 'docker.io' || registry === 'index.docker.io') registry = dockerHub;
  if (registry === dockerHub && !repository.includes('/')) repository = `library/${repository}`;
  if (!isRepositoryName(repository)) throw refInvalid(ref, `has the name ${JSON.stringify(repository)}; names are lowercase letters, digits and . _ - separated by /`);
  const out: ImageReference = { registry, repository };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  if (tag === undefined && digest === undefined) out.tag = 'latest';
  return out;
}

/** `registry/repository[:tag][@digest]`, for messages. */
export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** True for `localhost`, 127.0.0.0/8 and `[::1]`, with or without a port. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
