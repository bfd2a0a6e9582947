/**
 * An OCI Distribution spec v1.1 conformance harness in TypeScript, modelled on the official
 * suite's four categories: pull, push, content discovery, content management. It runs against
 * any registry URL (with Docker token or Basic auth) and reports every check, pass or fail.
 */
import { RegistryClient, type Reply, type Target } from './client.js';
import { blob, imageManifest, runId, type Blob } from './fixtures.js';
import { discoveryChecks } from './checks-discovery.js';
import { managementChecks } from './checks-management.js';
import { pullChecks } from './checks-pull.js';
import { pushChecks } from './checks-push.js';

export type Category = 'pull' | 'push' | 'discovery' | 'management';

export interface Context {
  client: RegistryClient;
  /** Repository under test, e.g. `conf/repo1`. */
  ns: string;
  /** A second repository for cross-repository mounts. */
  cross: string;
  run: string;
  /** An image pushed before the checks: config, layer, manifest, tag. */
  seed: { config: Blob; layer: Blob; manifest: Blob & { mediaType: string }; tag: string };
}

export interface Check {
  category: Category;
  name: string;
  run(ctx: Context): Promise<void>;
}

export interface CheckResult {
  category: Category;
  name: string;
  passed: boolean;
  detail?: string;
}

export interface Report {
  results: CheckResult[];
  passed: number;
  failed: number;
}

export class CheckFailed extends Error {}

/** Fails the check with what was expected and what came back. */
export function expectThat(condition: boolean, what: string, reply?: Reply): asserts condition {
  if (condition) return;
  const got = reply ? ` (got ${reply.status}${reply.body.length > 0 ? `: ${reply.body.toString('utf8').slice(0, 160)}` : ''})` : '';
  throw new CheckFailed(`${what}${got}`);
}

/** True when the body is the spec's error document with at least one code. */
export function isOciError(reply: Reply, code?: string): boolean {
  try {
    const doc = reply.json<{ errors?: Array<{ code?: unknown; message?: unknown }> }>();
    return Array.isArray(doc.errors) && doc.errors.length > 0 && typeof doc.errors[0]!.code === 'string' && (code === undefined || doc.errors.some((e) => e.code === code));
  } catch {
    return false;
  }
}

/** Pushes a blob with POST + PUT (the most widely supported path); returns the reply of the PUT. */
export async function pushBlob(ctx: Context, b: Blob, repo = ctx.ns): Promise<Reply> {
  const start = await ctx.client.request('POST', `/v2/${repo}/blobs/uploads/`);
  expectThat(start.status === 202 && start.headers.has('location'), 'POST blobs/uploads/ answers 202 with a Location', start);
  return ctx.client.request('PUT', withQuery(start.headers.get('location')!, `digest=${b.digest}`), { body: b.bytes, headers: { 'content-type': 'application/octet-stream' } });
}

export async function pushManifest(ctx: Context, m: Blob & { mediaType: string }, reference: string, repo = ctx.ns): Promise<Reply> {
  return ctx.client.request('PUT', `/v2/${repo}/manifests/${reference}`, { body: m.bytes, headers: { 'content-type': m.mediaType } });
}

export function withQuery(location: string, query: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}${query}`;
}

export async function runConformance(target: Target, options: { namespace: string; crossmountNamespace: string; categories?: Category[] }): Promise<Report> {
  const client = new RegistryClient(target);
  const run = runId();
  const config = blob(256);
  const layer = blob(4096);
  const manifest = imageManifest(config, [layer]);
  const ctx: Context = { client, ns: options.namespace, cross: options.crossmountNamespace, run, seed: { config, layer, manifest, tag: `seed-${run}` } };
  const results: CheckResult[] = [];
  let seeded: string | undefined;
  try {
    for (const b of [config, layer]) expectThat((await pushBlob(ctx, b)).status === 201, 'seeding: blob push answers 201');
    expectThat((await pushManifest(ctx, manifest, ctx.seed.tag)).status === 201, 'seeding: manifest push answers 201');
  } catch (error) {
    seeded = (error as Error).message;
  }
  const wanted = options.categories ?? ['pull', 'push', 'discovery', 'management'];
  const checks = [...pullChecks, ...pushChecks, ...discoveryChecks, ...managementChecks].filter((c) => wanted.includes(c.category));
  for (const check of checks) {
    try {
      if (seeded) throw new CheckFailed(`the seed image could not be pushed: ${seeded}`);
      await check.run(ctx);
      results.push({ category: check.category, name: check.name, passed: true });
    } catch (error) {
      results.push({ category: check.category, name: check.name, passed: false, detail: (error as Error).message });
    }
  }
  const passed = results.filter((r) => r.passed).length;
  return { results, passed, failed: results.length - passed };
}

/** The report as a readable table. */
export function formatReport(report: Report): string {
  const lines = report.results.map((r) => `${r.passed ? 'PASS' : 'FAIL'}  ${r.category.padEnd(10)} ${r.name}${r.detail ? `\n        ${r.detail}` : ''}`);
  return [...lines, `${report.passed} passed, ${report.failed} failed`].join('\n');
}
