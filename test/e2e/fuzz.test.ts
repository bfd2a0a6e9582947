/**
 * Generated-input fuzzing of every route of `/api/v1/openapi.json` and of the registry under
 * `/v2/`, on both store engines (issue 10): path parameters, query values, headers and bodies
 * built from the routes' own schemas with hostile values (NUL, control characters, unicode, path
 * traversal, numbers beyond 32 and 53 bits, wrong types, junk, bodies that are not JSON), sent
 * with tokens of every role, another workspace's, the instance admin's, a garbage one and none.
 *
 * For every request: no 5xx; an API refusal is a Slipway error document with a catalogued code,
 * a registry refusal the distribution spec's error body; and the store (every table) is the same
 * after a refused request as before it. A successful request may change the store; the next
 * baseline is taken once it settles.
 *
 * Reproducible: the seed is printed; SLIPWAY_FUZZ_SEED=N replays a run, SLIPWAY_FUZZ_RUNS=N sets
 * the requests per API route (the registry gets 20 times as many in all).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '../support/api.js';
import type { Snapshot } from '../support/db-snapshot.js';
import { engines } from '../support/engines.js';
import { apiRequests, operationsOf, type FuzzRequest } from '../support/fuzz-api.js';
import { fuzzSettings, rng } from '../support/fuzz-random.js';
import { registryRequests } from '../support/fuzz-registry.js';
import { rawHttp, sendFuzz, settle, type FuzzAnswer } from '../support/fuzz-send.js';
import { startFuzzWorld, type Fuzzed } from '../support/fuzz-world.js';
import { registryErrorCode } from '../support/registry-clients.js';
import { cleanup } from '../support/server-process.js';

const { seed, runs } = fuzzSettings(12);
console.log(`fuzz: seed ${seed}, ${runs} requests per API route (replay with SLIPWAY_FUZZ_SEED=${seed} SLIPWAY_FUZZ_RUNS=${runs})`);

/**
 * 5xx answers that are not the server's fault, each a Slipway error document: an import names
 * another registry and this machine reaches none; and this test server runs without an edge
 * proxy (no Caddy, no Docker), so what needs one says so. Both are about the machine, not the input.
 */
function notTheServersFault(req: FuzzRequest, res: FuzzAnswer): boolean {
  const code = (res.json as { error?: { code?: string } } | undefined)?.error?.code;
  if (res.status === 502) return code === 'SLW_UPSTREAM_REGISTRY' && /\/images\/import(\?|$)/.test(req.path);
  return res.status === 503 && code === 'SLW_PROXY_UNAVAILABLE';
}

/** What a refusal must look like, or why it is wrong. */
function refusalProblem(req: FuzzRequest, res: FuzzAnswer): string | undefined {
  if (notTheServersFault(req, res)) return undefined;
  if (res.status >= 500) return `HTTP ${res.status}`;
  // A HEAD answer has no body to check.
  if (res.status < 400 || req.method === 'HEAD') return undefined;
  // The registry's own error body under /v2/ (as the client normalizes the path: `/v2/../x` is `/x`).
  if (new URL(req.path, 'http://fuzz.invalid').pathname.startsWith('/v2/') || req.path === '/v2') {
    const code = registryErrorCode({ status: res.status, headers: res.headers, text: res.text, json: res.json });
    return /^[A-Z_]+$/.test(code) ? undefined : code;
  }
  const code = errorCode({ status: res.status, contentType: res.headers.get('content-type') ?? '', text: res.text, json: res.json });
  return code.startsWith('SLW_') ? undefined : code;
}

/** The names of the tables whose rows differ between two snapshots. */
function changedTables(a: Snapshot, b: Snapshot): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].filter((t) => JSON.stringify(a[t]) !== JSON.stringify(b[t]));
}

describe.each(engines)('fuzz on %s', (engine) => {
  let world: Fuzzed;
  beforeAll(async () => {
    world = await startFuzzWorld(engine);
  }, 120_000);
  afterAll(async () => {
    await world?.close();
    await cleanup();
  });

  /** Sends every request, one at a time, and checks the answer and the store after each. */
  async function walk(requests: FuzzRequest[]): Promise<{ failures: string[]; statuses: Record<string, number> }> {
    const failures: string[] = [];
    const statuses: Record<string, number> = {};
    const unsent = new Set<string>();
    let before = await settle(world.snapshot);
    for (const req of requests) {
      const res = await sendFuzz(world.server.url, req);
      const bucket = res.status === 0 ? 'unsent' : `${Math.floor(res.status / 100)}xx`;
      statuses[bucket] = (statuses[bucket] ?? 0) + 1;
      if (res.status === 0) {
        unsent.add(res.text.slice(0, 80));
        continue;
      }
      const problem = refusalProblem(req, res);
      if (problem) failures.push(`${req.label}: ${problem} ${res.text.slice(0, 200)}`);
      if (res.status >= 400) {
        const after = await world.snapshot();
        const changed = changedTables(before, after);
        if (changed.length > 0) failures.push(`${req.label}: refused with ${res.status} but changed ${changed.join(', ')}`);
        before = after;
      } else if (req.method !== 'GET' && req.method !== 'HEAD') {
        before = await settle(world.snapshot);
      }
    }
    if (unsent.size > 0) console.log(`fuzz: the client refused to send ${statuses.unsent} requests: ${[...unsent].join(' | ')}`);
    return { failures, statuses };
  }

  it('every API route: no 5xx, refusals are Slipway errors, and a refused request stores nothing', async () => {
    const doc = (await (await fetch(`${world.server.url}/api/v1/openapi.json`)).json()) as unknown;
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThan(50);
    const requests = ops.flatMap((op) => apiRequests(op, world.api, rng(seed).fork(`${op.method} ${op.path}`), runs));
    const { failures, statuses } = await walk(requests);
    console.log(`fuzz ${engine}: ${requests.length} API requests over ${ops.length} routes, answers ${JSON.stringify(statuses)}`);
    expect(failures).toEqual([]);
    // Every refused request is followed by a snapshot of the store (one prepared query on PostgreSQL).
  }, 180_000);

  it('the registry under /v2/: no 5xx, refusals are registry errors, and a refused request stores nothing', async () => {
    const requests = registryRequests(world.registry, rng(seed).fork('registry'), runs * 20);
    const { failures, statuses } = await walk(requests);
    console.log(`fuzz ${engine}: ${requests.length} registry requests, answers ${JSON.stringify(statuses)}`);
    expect(failures).toEqual([]);
  });

  it("requests Node's HTTP parser refuses get a Slipway error document, and store nothing", async () => {
    const before = await settle(world.snapshot);
    const cases: Array<[string, string, string]> = [
      ['headers over 16 KiB', `GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 'SLW_HEADERS_TOO_LARGE'],
      ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 'SLW_MALFORMED_REQUEST'],
      ['a header without a colon', 'GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n', 'SLW_MALFORMED_REQUEST'],
      ['bad chunked framing', 'POST /api/v1/workspaces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', 'SLW_MALFORMED_REQUEST'],
      ['both Content-Length and chunked', 'POST /api/v1/workspaces HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}', 'SLW_MALFORMED_REQUEST'],
    ];
    const failures: string[] = [];
    for (const [name, text, code] of cases) {
      const answer = await rawHttp(world.server.url, text);
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      const doc = (() => {
        try {
          return JSON.parse(body) as { error?: { code?: string } };
        } catch {
          return undefined;
        }
      })();
      if (!/^HTTP\/1\.1 4\d\d /.test(head) || doc?.error?.code !== code) failures.push(`${name}: ${answer.slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
    expect(changedTables(before, await world.snapshot())).toEqual([]);
  });
});
