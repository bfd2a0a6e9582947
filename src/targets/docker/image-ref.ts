/**
 * Image references as the engine's pull endpoint wants them, and the `X-Registry-Auth` header.
 *
 * @module
 */
import type { RegistryAuth } from './types.js';

/**
 * Splits `host[:port]/name[:tag][@digest]` into the `fromImage` and `tag` query values of
 * `POST /images/create`: a digest wins over a tag (as the docker CLI does), no tag means `latest`.
 * A port in the host is not a tag: only a colon after the last `/` counts.
 */
export function splitImageRef(ref: string): { fromImage: string; tag: string } {
  const at = ref.indexOf('@');
  const named = at >= 0 ? ref.slice(0, at) : ref;
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  const fromImage = hasTag ? named.slice(0, colon) : named;
  const tag = digest ?? (hasTag ? named.slice(colon + 1) : 'latest');
  if (!fromImage || !tag || (digest !== undefined && !/^[a-z0-9]+:[a-f0-9]{32,}$/.test(digest)) || /\s/.test(ref)) {
    throw new Error(`image reference '${ref}' is not HOST/NAME[:TAG][@DIGEST]`);
  }
  return { fromImage, tag };
}

/** The manifest digest a reference pins (`…@sha256:…`), if it pins one. */
export function pinnedDigest(ref: string): string | undefined {
  const at = ref.indexOf('@');
  return at >= 0 ? ref.slice(at + 1) : undefined;
}

/**
 * `X-Registry-Auth`: the credentials' JSON in URL-safe base64 *with* its `=` padding. The engine
 * decodes it with Go's `base64.URLEncoding`, which demands the padding, and when decoding fails it
 * pulls anonymously without a word; Node's `base64url` drops the padding, so it is not used.
 */
export function registryAuthHeader(auth: RegistryAuth): string {
  const json = JSON.stringify({ username: auth.username, password: auth.password, serveraddress: auth.serveraddress });
  return Buffer.from(json, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
