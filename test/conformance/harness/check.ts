/**
 * What a conformance check is, the context it runs in, and the assertions and push helpers the
 * check files share. A check throws `CheckFailed` (through `expectThat`) with what it expected
 * and what the registry answered; anything else it throws fails it too.
 *
 * @module
 */
import type { RegistryClient, Reply } from './client.js';
import type { Blob, Manifest } from './fixtures.js';

export type Category = 'pull' | 'push' | 'discovery' | 'management';

export const categories: readonly Category[] = ['pull', 'push', 'discovery', 'management'];

/** The image pushed before any check runs (the official suite's pull setup). */
export interface Seed {
  config: Blob;
  layer: Blob;
  manifest: Manifest;
  tag: string;
}

export interface Context {
  client: RegistryClient;
  /** The repository under test, e.g. `conf/repo1`. */
  ns: string;
  /** A second repository, the source of cross-repository mounts. */
  cross: string;
  /** Random per run; part of every tag the harness pushes. */
  run: string;
  seed: Seed | undefined;
  /** Values one check leaves for a later one (e.g. an upload session). */
  state: Map<string, unknown>;
  /** Runs `make` once per key and hands every caller its result (or its failure). */
  shared<T>(key: string, make: () => Promise<T>): Promise<T>;
}

export interface Check {
  /** Stable id, `<category>.<name>`. */
  id: string;
  category: Category;
  name: string;
  /** Checks that must pass first; if one did not, this one is reported skipped. */
  needs?: string[];
  /** Needs the seed image. */
  needsSeed?: boolean;
  run(ctx: Context): Promise<void>;
}

export class CheckFailed extends Error {}

/** A short account of a reply for a failure message. */
export function describeReply(reply: Reply): string {
  const body = reply.text().replace(/\s+/g, ' ').trim();
  const auth = reply.authProblem ? `; auth: ${reply.authProblem}` : '';
  return `got ${reply.status}${body ? ` ${body.slice(0, 200)}` : ''}${auth}`;
}

/** Fails the check with `what` (and the reply, if given) unless `condition` holds. */
export function expectThat(condition: unknown, what: string, reply?: Reply): asserts condition {
  if (condition) return;
  throw new CheckFailed(reply ? `${what} (${describeReply(reply)})` : what);
}

export function expectStatus(reply: Reply, wanted: number | number[], what: string): void {
  const ok = Array.isArray(wanted) ? wanted.includes(reply.status) : reply.status === wanted;
  expectThat(ok, `${what}: expected ${Array.isArray(wanted) ? wanted.join(' or ') : wanted}`, reply);
}

/** A header must be present and equal. */
export function expectHeader(reply: Reply, name: string, value: string, what: string): void {
  const got = reply.headers.get(name);
  expectThat(got === value, `${what}: expected ${name}: ${value}, got ${got === null ? 'no such header' : `${name}: ${got}`}`);
}

/** The codes of an OCI error body `{"errors":[{"code","message","detail"}]}`, or undefined. */
export function errorCodes(reply: Reply): string[] | undefined {
  try {
    const doc = reply.json<{ errors?: unknown }>();
    if (!Array.isArray(doc.errors) || doc.errors.length === 0) return undefined;
    const codes = (doc.errors as Array<{ code?: unknown; message?: unknown }>).map((e) => (typeof e?.code === 'string' ? e.code : ''));
    return codes.every((c) => c !== '') ? codes : undefined;
  } catch {
    return undefined;
  }
}

/** The spec's error codes (v1.1.1). */
export const knownErrorCodes = [
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
];

/** The reply carries an OCI error body, with `code` among its codes when given. */
export function expectOciError(reply: Reply, what: string, code?: string): void {
  const codes = errorCodes(reply);
  expectThat(codes, `${what}: expected an OCI error body {"errors":[{"code",…}]}`, reply);
  if (code) expectThat(codes.includes(code), `${what}: expected error code ${code}`, reply);
}

/** Adds query parameters to a (session) URL, keeping the ones it has. */
export function withQuery(location: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  return `${location}${location.includes('?') ? '&' : '?'}${query}`;
}

/** POST then PUT ?digest with the body: the most widely supported blob push. */
export async function pushBlob(ctx: Context, blob: Blob, repo = ctx.ns): Promise<Reply> {
  const start = await ctx.client.request('POST', `/v2/${repo}/blobs/uploads/`);
  expectStatus(start, 202, `POST /v2/${repo}/blobs/uploads/`);
  const location = start.headers.get('location');
  expectThat(location, `POST /v2/${repo}/blobs/uploads/ answered without a Location`);
  const put = await ctx.client.request('PUT', withQuery(ctx.client.resolve(location, start.url), { digest: blob.digest }), {
    body: blob.bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
  expectStatus(put, 201, `pushing blob ${blob.digest.slice(0, 19)}… (POST, PUT ?digest)`);
  return put;
}

export function putManifest(ctx: Context, manifest: Manifest, reference: string, repo = ctx.ns): Promise<Reply> {
  return ctx.client.request('PUT', `/v2/${repo}/manifests/${reference}`, { body: manifest.bytes, headers: { 'content-type': manifest.mediaType } });
}

/** Pushes blobs then the manifest under `reference`; every step must answer 201. */
export async function pushImage(ctx: Context, blobs: Blob[], manifest: Manifest, reference: string, repo = ctx.ns): Promise<Reply> {
  for (const b of blobs) await pushBlob(ctx, b, repo);
  const reply = await putManifest(ctx, manifest, reference, repo);
  expectStatus(reply, 201, `PUT /v2/${repo}/manifests/${reference}`);
  return reply;
}

/** GET /v2/<ns>/tags/list with a query; the reply and its `tags` (null when absent). */
export async function listTags(ctx: Context, query = ''): Promise<{ reply: Reply; tags: string[] | null }> {
  const reply = await ctx.client.request('GET', `/v2/${ctx.ns}/tags/list${query}`);
  expectStatus(reply, 200, `GET /v2/${ctx.ns}/tags/list${query}`);
  let doc: { name?: unknown; tags?: unknown };
  try {
    doc = reply.json<typeof doc>();
  } catch {
    throw new CheckFailed(`GET /v2/${ctx.ns}/tags/list${query}: body is not JSON (${describeReply(reply)})`);
  }
  expectThat(doc.tags === null || doc.tags === undefined || (Array.isArray(doc.tags) && doc.tags.every((t) => typeof t === 'string')), 'tags list: "tags" is not a list of strings', reply);
  return { reply, tags: Array.isArray(doc.tags) ? (doc.tags as string[]) : null };
}
