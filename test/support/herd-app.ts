/**
 * The app of the herd tests: a Node service that keeps rows in its site's own PostgreSQL database
 * (DATABASE_URL, injected by the services feature), in two versions built by Slipway's node
 * runtime on the node base of service-app.ts.
 *
 * - `GET /` answers `shop VERSION`; `GET /write?v=X` stores a row; `GET /rows` answers every row
 *   (all columns) as JSON, in id order; `GET /health` answers ok. From 2.0.0, on a site labelled
 *   `flaky=yes`, `GET /` answers 500 (ready by its health path, failing its users: a bake catches it).
 * - `migrate.js`, the application's release step: 1.x creates the table; 2.x adds a column `note`
 *   filled with `migrated to 2` — and then, on a site labelled `broken=yes`
 *   (SLIPWAY_SITE_LABEL_BROKEN), exits 1 after the change is committed, so only a restore of the
 *   site's backup gives its data back as it was.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { sh } from './images.js';
import { repoRoot } from './server-process.js';

const server = (version: string) => `
const http = require('node:http');
const { Client } = require('pg');
async function db(fn) {
  const c = new Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}
http.createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  try {
    if (url.pathname === '/write') {
      await db((c) => c.query('insert into items (v) values ($1)', [url.searchParams.get('v') ?? '']));
      res.end('ok');
    } else if (url.pathname === '/rows') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(await db(async (c) => (await c.query('select * from items order by id')).rows)));
    } else if (url.pathname === '/health') {
      res.end('ok');
    } else if (${version.startsWith('1.') ? 'false' : "process.env.SLIPWAY_SITE_LABEL_FLAKY === 'yes'"}) {
      res.statusCode = 500;
      res.end('shop ${version} fails on this site');
    } else {
      res.end('shop ${version}');
    }
  } catch (e) { res.statusCode = 500; res.end('error: ' + e.message); }
}).listen(Number(process.env.PORT ?? 8080));
process.on('SIGTERM', () => process.exit(0));
`;

const migrate = (major: number) => `
const { Client } = require('pg');
(async () => {
  const c = new Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  await c.query('create table if not exists items (id serial primary key, v text not null)');
  ${major >= 2 ? `await c.query("alter table items add column if not exists note text not null default 'migrated to 2'");` : ''}
  await c.end();
  ${major >= 2 ? `if (process.env.SLIPWAY_SITE_LABEL_BROKEN === 'yes') { console.error('migration failed: this site is broken'); process.exit(1); }` : ''}
  console.log('migrated ' + (process.env.SLIPWAY_SITE ?? '?') + ' to ${major}');
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

/**
 * A Node app `name` at `version` as a .tar.gz for `slipway build --runtime node`: `server.js` and
 * `migrate.js` bundled by esbuild from the sources given (node_modules of the repository resolve
 * their requires), with a package.json; reproducible (sorted, mtime 0, owner 0).
 */
export async function buildNodeApp(dir: string, name: string, version: string, sources: { server: string; migrate: string }): Promise<string> {
  const src = join(dir, `src-${version}`);
  const out = join(dir, `app-${version}`);
  mkdirSync(src, { recursive: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(src, 'server.cjs'), sources.server);
  writeFileSync(join(src, 'migrate.cjs'), sources.migrate);
  const options = { bundle: true, platform: 'node' as const, target: 'node20', format: 'cjs' as const, nodePaths: [join(repoRoot, 'node_modules')], logLevel: 'error' as const, external: ['pg-native', 'cloudflare:sockets'] };
  await build({ ...options, entryPoints: [join(src, 'server.cjs')], outfile: join(out, 'server.js') });
  await build({ ...options, entryPoints: [join(src, 'migrate.cjs')], outfile: join(out, 'migrate.js') });
  writeFileSync(join(out, 'package.json'), JSON.stringify({ name, version, private: true }));
  const archive = join(dir, `${name}-${version}.tar.gz`);
  await sh('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', out, '-czf', archive, '.']);
  return archive;
}

/** The app at `version` as a .tar.gz for `slipway build --runtime node`. */
export function buildHerdApp(dir: string, version: string): Promise<string> {
  return buildNodeApp(dir, 'shop', version, { server: server(version), migrate: migrate(Number(version.split('.')[0])) });
}

/** The manifest whose release step is the migration. */
export const herdManifest = 'release:\n  jobs:\n    - name: migrate\n      image: $build\n      command: node /app/migrate.js\n';
