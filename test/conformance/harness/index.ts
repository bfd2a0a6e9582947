/**
 * A conformance harness for the OCI Distribution spec v1.1.1, in TypeScript, mirroring the
 * official suite's four categories (pull, push, content discovery, content management) with the
 * checks of its v1.1.1 conformance tests plus a few the spec requires that it does not test (tag
 * order, `n=0`, Link pagination, wrong digests, dangling blobs, index and Docker manifest round
 * trips). It runs against any registry URL, with Docker token or Basic auth, pushes content
 * random to the run (reruns against one registry work) and reports every check.
 *
 * ```ts
 * const report = await runConformance({ url: 'http://127.0.0.1:5000', namespace: 'conf/repo1', crossmountNamespace: 'conf/repo2' });
 * console.log(formatReport(report));
 * ```
 *
 * @module
 */
import { categories, CheckFailed, pushImage, type Category, type Check, type Context, type Seed } from './check.js';
import { RegistryClient, type Credentials } from './client.js';
import { randomImage, runId } from './fixtures.js';
import { managementChecks } from './management.js';
import { pullChecks } from './pull.js';
import { pushBlobChecks } from './push-blobs.js';
import { pushManifestChecks } from './push-manifests.js';
import { referrerChecks } from './referrers.js';
import { tagChecks } from './tags.js';

export { formatReport } from './format.js';
export type { Category } from './check.js';

export interface ConformanceOptions {
  /** The registry's base URL, e.g. `http://127.0.0.1:5000`. */
  url: string;
  /** The repository under test, e.g. `conf/repo1`. */
  namespace: string;
  /** A second repository the harness may push to, the source of cross-repository mounts. */
  crossmountNamespace: string;
  auth?: Credentials;
  /** Defaults to all four. */
  categories?: Category[];
}

export interface CheckResult {
  category: Category;
  id: string;
  name: string;
  passed: boolean;
  /** Not run because a check it needs did not pass. */
  skipped?: boolean;
  /** Why it failed or was skipped. */
  detail?: string;
  durationMs: number;
}

export interface ConformanceReport {
  url: string;
  namespace: string;
  crossmountNamespace: string;
  /** The id in this run's tags, e.g. `s<run>` is the seed image's tag. */
  run: string;
  results: CheckResult[];
  counts: { total: number; passed: number; failed: number; skipped: number };
}

/** Every check, in the order they run. */
export const allChecks: readonly Check[] = [...pullChecks, ...pushBlobChecks, ...pushManifestChecks, ...tagChecks, ...referrerChecks, ...managementChecks];

const namePattern = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;

async function pushSeed(ctx: Context): Promise<Seed> {
  const image = randomImage(4096);
  const seed: Seed = { config: image.config, layer: image.layers[0]!, manifest: image.manifest, tag: `s${ctx.run}` };
  await pushImage(ctx, [seed.config, seed.layer], seed.manifest, seed.tag);
  return seed;
}

export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  for (const name of [options.namespace, options.crossmountNamespace]) {
    if (!namePattern.test(name)) throw new Error(`"${name}" is not a repository name the spec allows`);
  }
  const wanted = new Set(options.categories ?? categories);
  const shared = new Map<string, Promise<unknown>>();
  const ctx: Context = {
    client: new RegistryClient(options.url, options.auth),
    ns: options.namespace,
    cross: options.crossmountNamespace,
    run: runId(),
    seed: undefined,
    state: new Map(),
    shared: <T>(key: string, make: () => Promise<T>): Promise<T> => {
      if (!shared.has(key)) shared.set(key, make());
      return shared.get(key) as Promise<T>;
    },
  };
  let seedError: string | undefined;
  try {
    ctx.seed = await pushSeed(ctx);
  } catch (error) {
    seedError = (error as Error).message;
  }

  const results: CheckResult[] = [];
  const passed = new Set<string>();
  for (const check of allChecks.filter((c) => wanted.has(c.category))) {
    const started = Date.now();
    const base = { category: check.category, id: check.id, name: check.name };
    const unmet = (check.needs ?? []).filter((id) => !passed.has(id));
    if (unmet.length > 0) {
      results.push({ ...base, passed: false, skipped: true, detail: `needs ${unmet.join(', ')}, which did not pass`, durationMs: 0 });
      continue;
    }
    try {
      if (check.needsSeed && seedError !== undefined) throw new CheckFailed(`the seed image could not be pushed: ${seedError}`);
      await check.run(ctx);
      passed.add(check.id);
      results.push({ ...base, passed: true, durationMs: Date.now() - started });
    } catch (error) {
      const detail = error instanceof CheckFailed ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
      results.push({ ...base, passed: false, detail, durationMs: Date.now() - started });
    }
  }
  const skipped = results.filter((r) => r.skipped).length;
  const counts = { total: results.length, passed: passed.size, failed: results.length - passed.size - skipped, skipped };
  return { url: options.url, namespace: options.namespace, crossmountNamespace: options.crossmountNamespace, run: ctx.run, results, counts };
}
