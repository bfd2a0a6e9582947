/**
 * Runs the OCI distribution-spec v1.1.1 conformance harness (test/conformance/harness) against
 * any registry and prints the report table; exits 1 when a check fails or is skipped.
 *
 *   npx tsx bench/conformance.ts --url http://127.0.0.1:7070 --namespace acme/shop --cross acme/base \
 *     [--username ci --password "$SLIPWAY_TOKEN"] [--category pull --category push] [--json]
 *
 * The password may come from SLIPWAY_TOKEN instead of the command line. Pushes small random
 * content (unique tags per run) to both repositories and deletes some of it again.
 */
import { parseArgs } from 'node:util';
import { categories, type Category } from '../test/conformance/harness/check.js';
import { formatReport, runConformance } from '../test/conformance/harness/index.js';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    namespace: { type: 'string' },
    cross: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    category: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(2);
}

const isCategory = (c: string): c is Category => (categories as readonly string[]).includes(c);

if (!args.url || !args.namespace || !args.cross) fail('usage: npx tsx bench/conformance.ts --url URL --namespace ns/repo --cross ns/repo2 [--username U --password P]');
const password = args.password ?? process.env.SLIPWAY_TOKEN;
if (args.username !== undefined && password === undefined) fail('--username needs --password (or SLIPWAY_TOKEN)');
const wanted = args.category ?? [...categories];
const unknown = wanted.filter((c) => !isCategory(c));
if (unknown.length > 0) fail(`unknown --category ${unknown.join(', ')}; one of ${categories.join(', ')}`);

const report = await runConformance({
  url: args.url.replace(/\/+$/, ''),
  namespace: args.namespace,
  crossmountNamespace: args.cross,
  auth: password !== undefined ? { username: args.username ?? 'conformance', password } : undefined,
  categories: wanted.filter(isCategory),
});
process.stdout.write(`${args.json ? JSON.stringify(report, null, 2) : formatReport(report)}\n`);
process.exit(report.counts.failed + report.counts.skipped > 0 ? 1 : 0);
