/**
 * The herd of test/herds/herd-upgrade.test.ts and bench/herds.ts, on the real Docker engine,
 * Caddy and the machine's PostgreSQL: a {@link deployWorld} with project and application `saas`
 * (the app of herd-app.ts, its release step the migration, its versions built), and 30 sites
 * `s01` … `s30` (labels `broken` and `region`), each with its own database on the machine's
 * PostgreSQL (service `pg`, adopted through a role of its own and reached by containers through a
 * relay on the bridge), none deployed yet.
 *
 * {@link herdWorld} makes nothing; `setUp()` does, and `dispose()` removes whatever it made so far
 * (the world, the relay, the role and its databases), also after a failed or interrupted `setUp()`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { dropAdoptedAdmin } from './postgres.js';
import { deployWorld, viaProxy, type DeployWorld } from './deploy.js';
import { buildHerdApp, herdManifest } from './herd-app.js';
import { tempDir, type CliResult } from './server-process.js';
import { bridgeGateway, pushNodeBase, relay } from './service-app.js';

/** The 30 sites: s01 … s30. */
export const herdSites = Array.from({ length: 30 }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);

export interface HerdWorldOptions {
  /** deployWorld's workspace and extra server flags (`--allow-service-host 127.0.0.1` is needed). */
  workspace: string;
  args: string[];
  /** The PostgreSQL role the service adopts (made here, dropped with its databases by dispose) and its password. */
  role: string;
  password: string;
  /** Of the temp dir holding the manifest and the app's builds. */
  tempPrefix: string;
  /** Sites labelled `broken=yes` (the others `broken=no`). */
  broken?: ReadonlySet<string>;
  /** Built and stored in order, with the node base. */
  versions: string[];
}

export interface HerdWorld {
  /** The deploy world; only once `setUp()` has made it. */
  readonly world: DeployWorld;
  /** The temp dir of the manifest and the builds. */
  readonly work: string;
  setUp(): Promise<void>;
  /** `slipway ARGS` as the first admin; fails unless it exits 0. */
  run(args: string[]): Promise<CliResult>;
  /** GET `path` of a site of `saas` through Caddy; fails unless it answers 200. */
  get(site: string, path?: string): Promise<string>;
  /** Has the app of each of the 30 sites write its two rows, `NAME-first` and `NAME-second`. */
  writeRows(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Calls `fn` for each item, at most `limit` at once. After a failure no further item is started;
 * the first failure is thrown once the calls under way have settled (none is left running).
 */
export async function eachAtMost<T>(limit: number, items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const item = items[next++]!;
      await fn(item).catch((error: unknown) => void errors.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

async function pgAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export function herdWorld(o: HerdWorldOptions): HerdWorld {
  let w: DeployWorld | undefined;
  let work = '';
  let roleMade = false;
  const relays: Array<{ close(): Promise<void> }> = [];
  const made = (): DeployWorld => {
    if (!w) throw new Error('the herd world is not set up');
    return w;
  };
  const run = async (args: string[]): Promise<CliResult> => {
    const r = await made().run(args);
    if (r.code !== 0) throw new Error(`slipway ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r;
  };
  const get = async (site: string, path = '/'): Promise<string> => {
    const r = await viaProxy(made().proxyPort, `${site}.saas.${made().ws}.localhost`, path);
    if (r.status !== 200) throw new Error(`${site}${path}: HTTP ${r.status} ${r.body}`);
    return r.body;
  };

  const setUp = async (): Promise<void> => {
    await pgAdmin(async (c) => {
      await c.query(`drop role if exists ${o.role}`);
      await c.query(`create role ${o.role} login createdb createrole password '${o.password}'`);
    });
    roleMade = true;
    const world = (w = await deployWorld({ workspace: o.workspace, args: o.args }));
    const ws = ['-w', world.ws];
    work = tempDir(o.tempPrefix);
    await run(['project', 'create', 'saas', ...ws]);
    const manifest = join(work, 'slipway.yaml');
    writeFileSync(manifest, herdManifest);
    await run(['pipeline', 'apply', manifest, ...ws, '-p', 'saas']);
    await run(['app', 'create', 'saas', '--from-project', 'saas', ...ws]);
    // The machine's PostgreSQL, reached by containers through a relay on the bridge (it listens on 127.0.0.1).
    const gateway = await bridgeGateway();
    const r = await relay(gateway, 5432);
    relays.push(r);
    const adopted = await world.cli(['service', 'create', 'pg', ...ws, '--kind', 'postgres', '--adopt', '-', '--workload-address', `${gateway}:${r.port}`, '--json'], `postgres://${o.role}:${o.password}@127.0.0.1:5432/postgres`);
    if (adopted.code !== 0) throw new Error(`service create: ${adopted.stderr}`);
    // A few sites at once (the plan orders sites by name, not by when they were made).
    await eachAtMost(4, herdSites, async (name) => {
      await run(['site', 'create', name, '-a', 'saas', ...ws, '--no-deploy', '--label', `broken=${o.broken?.has(name) ? 'yes' : 'no'}`, '--label', `region=${Number(name.slice(1)) % 2 ? 'eu' : 'us'}`]);
      await run(['service', 'attach', 'pg', '-a', 'saas', '-e', name, ...ws]);
    });
    const base = `${world.host}/${world.ws}/base:node`;
    await pushNodeBase(world.docker, base);
    for (const version of o.versions) {
      await run(['build', await buildHerdApp(work, version), ...ws, '-p', 'saas', '--runtime', 'node', '--version', version, '--base', base]);
    }
  };

  return {
    get world() {
      return made();
    },
    get work() {
      return work;
    },
    setUp,
    run,
    get,
    writeRows: async () => {
      // Each site's two rows in order (ids 1 and 2), several sites at once.
      await eachAtMost(6, herdSites, async (name) => {
        await get(name, `/write?v=${name}-first`);
        await get(name, `/write?v=${name}-second`);
      });
    },
    dispose: async () => {
      await w?.dispose().catch(() => undefined);
      w = undefined;
      for (const r of relays.splice(0)) await r.close().catch(() => undefined);
      if (!roleMade) return;
      roleMade = false;
      // The attachments' databases and roles, and the admin role, on the machine's PostgreSQL.
      await pgAdmin(async (c) => {
        await dropAdoptedAdmin(c, o.role);
      }).catch(() => undefined);
    },
  };
}
