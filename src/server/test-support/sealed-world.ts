/**
 * A stopped server's data directory and store holding one of every sealed thing, each made by
 * the function the server uses: secret versions (base and environment), a registry credential,
 * an adopted Redis service (admin connection) attached (credentials) and backed up (a signed
 * backup file), a custom service with variables, a git source credential, an application's
 * notify secret and hook secret, a project hook secret, a server's desired workload and job,
 * and the internal CA's sealed key file. Needs the machine's Redis on 127.0.0.1:6379.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyAppChanges } from '../../apps/app-changes.js';
import { ensureAppHook } from '../../apps/app-hooks.js';
import { notifyChange } from '../../apps/notify-settings.js';
import type { WorkloadSpec } from '../../deploy/target.js';
import { serviceBackupDrivers } from '../../drivers/backup/index.js';
import { serviceDrivers } from '../../drivers/index.js';
import { InternalCa } from '../../fleet/ca.js';
import { FleetState } from '../../fleet/desired.js';
import { AgentSessions } from '../../fleet/sessions.js';
import { GitHostPolicy } from '../../git/git-cli.js';
import { linkGitSource } from '../../git/sources.js';
import { seedApplication } from '../../herds/test-support/seed.js';
import type { EnvironmentAccess, ProjectAccess } from '../../projects/projects.js';
import { EgressPolicy } from '../../registry/client/index.js';
import { setCredential } from '../../registry/credentials.js';
import { masterKeyCheck } from '../../secrets/envelope.js';
import { masterKeyring } from '../../secrets/keyring.js';
import { setSecret, type Keyring } from '../../secrets/secrets.js';
import { attach } from '../../services/attachments.js';
import { createBackup, type BackupContext } from '../../services/backups.js';
import { adoptCustomService } from '../../services/custom.js';
import { customRow } from '../../services/custom-store.js';
import { ServiceHostPolicy } from '../../services/host-policy.js';
import { createService } from '../../services/services.js';
import type { ApplicationsTable } from '../../store/schema.js';
import type { WorkspaceAccess } from '../../tenancy/principal.js';
import { ensureHook } from '../../webhooks/hooks.js';
import { openStore } from '../../store/open.js';
import { bootstrapFirstAdmin } from '../../tenancy/bootstrap.js';
import { authenticate } from '../../tenancy/tokens.js';
import type { Engine } from '../../../test/support/engines.js';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { tempDir } from '../../../test/support/server-process.js';
import { seedVolumeBackupIn } from '../../../test/support/volume-seed.js';
import { environment, project, workspace, type TestContext } from '../../../test/support/service-fixtures.js';

/** A data directory and a fresh store where a server would have them (SQLite in the directory, or a PostgreSQL URL). */
export async function dataDirContext(engine: Engine): Promise<{ ctx: TestContext; dataDir: string; databaseUrl: string | undefined }> {
  const dataDir = tempDir('slipway-rotate-');
  const pg = engine === 'postgres' ? await createTestDatabase() : undefined;
  const store = await openStore(pg ? { engine: 'postgres', url: pg.url } : { engine: 'sqlite', file: join(dataDir, 'slipway.db') });
  const boot = await bootstrapFirstAdmin(store.db);
  if (!boot) throw new Error('a fresh store should bootstrap its first admin');
  const admin = await authenticate(store.db, `Bearer ${boot.token}`);
  const cleanup = async () => {
    await store.close();
    await pg?.drop();
  };
  return { ctx: { engine, store, db: store.db, admin, adminToken: boot.token, cleanup }, dataDir, databaseUrl: pg?.url };
}

export interface SealedWorld {
  key: Buffer;
  keyring: Keyring;
  ws: WorkspaceAccess;
  shop: ProjectAccess;
  dev: EnvironmentAccess;
  app: ApplicationsTable;
  backupId: string;
  /** A backup of dev's volume `data` (its file's header is signed like a service backup's). */
  volumeBackupId: string;
  serverId: string;
  /** The clear values, to compare with what opens after the rotation. */
  values: { appHook: string; projectHook: string; gitCredential: string; notify: string };
  services: (keyring: Keyring) => BackupContext;
}

export const workload = (name: string): WorkloadSpec => ({ name, image: 'example/app:1', registryAuth: null, env: { TOKEN: 'desired-secret' }, command: null, resources: { cpuMillis: null, memoryBytes: null }, volumes: [], networks: [], labels: { app: name }, replicas: 1, port: 8080, health: { type: 'tcp' } });

/** Seeds `ctx`'s store (and `dataDir`) with every sealed kind under a fresh key written to `<dataDir>/master.key`. */
export async function seedSealedWorld(ctx: TestContext, dataDir: string): Promise<SealedWorld> {
  const key = randomBytes(32);
  writeFileSync(join(dataDir, 'master.key'), `${key.toString('base64')}\n`, { mode: 0o600 });
  await ctx.db.insertInto('slipway_meta').values({ key: 'master_key_check', value: masterKeyCheck(key) }).execute();
  const keyring = masterKeyring(key);
  const services = (k: Keyring): BackupContext => ({ db: ctx.db, keyring: k, drivers: serviceDrivers(), hosts: new ServiceHostPolicy(['127.0.0.1']), backups: serviceBackupDrivers(), dataDir });
  const svc = services(keyring);
  const ws = await workspace(ctx, 'acme', 'high');
  const shop = await project(ctx, ws, 'shop');
  const dev = await environment(ctx, shop, 'dev');
  await setSecret(ctx.db, keyring, shop, 'API_KEY', 'base-secret');
  await setSecret(ctx.db, keyring, dev, 'DB_PASS', 'env-secret');
  await setCredential(ctx.db, keyring, ws, { host: 'ghcr.io', username: 'robot', password: 'registry-secret' });
  await createService(svc, ws, { name: 'cache', kind: 'redis', adopt: 'redis://127.0.0.1:6379' });
  await attach(svc, dev, 'cache', null);
  const backup = await createBackup(svc, dev, 'cache', null);
  const custom = await adoptCustomService(svc, ws, { name: 'search', adopt: '127.0.0.1:6379' });
  const customId = (await ctx.db.selectFrom('services').select('id').where('name', '=', custom.name).executeTakeFirstOrThrow()).id;
  // A custom service's variables are sealed at create (a provisioned one's); the same function here.
  const row = customRow(keyring, ws.workspace.id, customId, { scheme: 'tcp', health: { type: 'tcp' }, volumePath: null, env: { SEARCH_KEY: 'custom-secret' } });
  await ctx.db.updateTable('custom_services').set({ env_names: row.env_names, env_envelope: row.env_envelope }).where('service_id', '=', customId).execute();
  const gitCredential = 'git-token-secret';
  await linkGitSource({ db: ctx.db, keyring, hosts: new GitHostPolicy(['127.0.0.1']) }, shop, { url: 'http://127.0.0.1:9/shop.git', credential: gitCredential });
  let app = await seedApplication(ctx.db, ws.workspace.id, shop.project.id, 'shop', ['1.0.0']);
  const notify = 'notify-secret-0123456789';
  const change = await notifyChange(keyring, new EgressPolicy(['127.0.0.1']), app, { notifyUrl: 'http://127.0.0.1:9/notify', notifySecret: notify });
  app = await applyAppChanges(ctx.db, ws, app, [change.change]);
  // A hook is an upstream application's (the registry calls it when a new version is pushed).
  await ctx.db.updateTable('applications').set({ source: 'upstream', upstream: 'ghcr.io/acme/shop' }).where('id', '=', app.id).execute();
  app = { ...app, source: 'upstream', upstream: 'ghcr.io/acme/shop' };
  const appHook = (await ensureAppHook(ctx.db, keyring, ws, app, {})).secret!;
  const projectHook = (await ensureHook(ctx.db, keyring, shop, { provider: 'github' })).secret!;
  const serverId = 'srv_rotation';
  const fleet = new FleetState(ctx.db, keyring, new AgentSessions());
  await fleet.putWorkload(serverId, workload('web'));
  await fleet.putJob(serverId, { ...workload('migrate'), timeoutSeconds: 60 });
  await InternalCa.open(dataDir, keyring);
  const volume = await seedVolumeBackupIn(ctx.db, dataDir, 'acme', 'shop', 'dev');
  return { key, keyring, ws, shop, dev, app, backupId: backup.id, volumeBackupId: volume.backup, serverId, values: { appHook, projectHook, gitCredential, notify }, services };
}
