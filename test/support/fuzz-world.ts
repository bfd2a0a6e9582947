/**
 * The world a fuzz run walks: an in-process server on SQLite or PostgreSQL with two workspaces,
 * members and tokens of every role, config, secrets, a release, a deployment, a promotion
 * waiting for approval, registry credentials, an image pushed to the registry and an open upload
 * session; plus a snapshot of every table, to prove a refused request stored nothing.
 */
import { openStore } from '../../src/store/open.js';
import { ok } from './api.js';
import { postgresSnapshots, snapshotSqlite, type Snapshot } from './db-snapshot.js';
import type { Engine } from './engines.js';
import { addMember, seedDeployRecordsIn, seedWorkspace, workspaceToken } from './fixtures.js';
import type { FuzzWorld } from './fuzz-api.js';
import type { RegistryWorld } from './fuzz-registry.js';
import { startInProcessServer, type InProcessServer } from './in-process.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { basic, ociManifest, pushBlob, registryCall, requestRegistryToken, sha256 } from './registry-clients.js';

/** A running server with its seeded world. */
export interface Fuzzed {
  server: InProcessServer;
  api: FuzzWorld;
  registry: RegistryWorld;
  snapshot(): Promise<Snapshot>;
  close(): Promise<void>;
}

/** Starts a server on `engine` and seeds the world the fuzz walks. */
export async function startFuzzWorld(engine: Engine): Promise<Fuzzed> {
  const pgDb: TestDatabase | undefined = engine === 'postgres' ? await createTestDatabase() : undefined;
  const server = await startInProcessServer(pgDb ? { SLIPWAY_DATABASE_URL: pgDb.url } : {});
  const admin = server.admin;
  const ws = '/api/v1/workspaces/acme';
  await seedWorkspace(admin, 'acme', 'web', 'qa');
  await seedWorkspace(admin, 'bravo', 'site', 'qa');
  await addMember(admin, 'acme', 'vera@example.com', 'viewer');
  const dave = await addMember(admin, 'acme', 'dave@example.com', 'developer');
  await addMember(admin, 'acme', 'ada@example.com', 'admin');
  const viewer = await workspaceToken(admin, 'acme', 'viewer', 'vera@example.com');
  const developer = await workspaceToken(admin, 'acme', 'developer', 'dave@example.com');
  const adminTok = await workspaceToken(admin, 'acme', 'admin', 'ada@example.com');
  const owner = await workspaceToken(admin, 'acme', 'owner');
  const foreign = await workspaceToken(admin, 'bravo', 'owner');
  ok(await admin.put(`${ws}/registry-credentials/registry.example.com`, { username: 'robot', password: 'fuzz-credential' }));

  // An image in acme/web, tagged 1.0.0, pushed through the registry like any client would.
  const auth = basic(owner.api.token);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const layer = Buffer.from('fuzz layer bytes');
  await pushBlob(server.url, auth, 'acme/web', config);
  const blobDigest = await pushBlob(server.url, auth, 'acme/web', layer);
  const manifest = ociManifest(config, [layer]);
  const put = await registryCall(server.url, { method: 'PUT', path: '/v2/acme/web/manifests/1.0.0', auth, body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
  if (put.status !== 201) throw new Error(`manifest push answered ${put.status}: ${put.text}`);
  const session = await registryCall(server.url, { method: 'POST', path: '/v2/acme/web/blobs/uploads/', auth });
  const upload = /\/blobs\/uploads\/([^/?]+)/.exec(session.headers.get('location') ?? '')?.[1];
  if (session.status !== 202 || !upload) throw new Error(`opening an upload answered ${session.status}: ${session.text}`);
  const jwt = await requestRegistryToken(server.url, owner.api.token, ['repository:acme/web:pull,push,delete']);

  const store = await openStore(pgDb ? { engine: 'postgres', url: pgDb.url } : { engine: 'sqlite', file: server.dbFile });
  const seeded = await seedDeployRecordsIn(store.db, server.adminToken, adminTok.api.token, 'acme', 'web').finally(() => store.close());

  const api: FuzzWorld = {
    values: {
      workspace: 'acme',
      project: 'web',
      environment: 'prod',
      name: 'DB_PASSWORD',
      token: viewer.id,
      member: dave,
      number: '1',
      host: 'registry.example.com',
      deployment: seeded.deployment,
      promotion: seeded.promotion,
      run: seeded.run,
      pipeline: seeded.pipeline,
      from: 'dev',
      to: 'prod',
      version: '1.0.0',
    },
    tokens: { owner: owner.api.token, admin: adminTok.api.token, developer: developer.api.token, viewer: viewer.api.token, foreign: foreign.api.token, instance: server.adminToken, none: null, garbage: `slw_${'A'.repeat(43)}` },
  };
  const registry: RegistryWorld = {
    repository: 'acme/web',
    foreignRepository: 'bravo/site',
    tag: '1.0.0',
    manifestDigest: sha256(manifest),
    blobDigest,
    upload: decodeURIComponent(upload),
    auth: { owner: auth, viewer: basic(viewer.api.token), developer: basic(developer.api.token), foreign: basic(foreign.api.token), jwt: `Bearer ${jwt.token}`, none: null, garbage: 'Bearer not.a.jwt', basicJunk: 'Basic !!!' },
  };
  const pgSnapshots = pgDb ? await postgresSnapshots(pgDb.url) : undefined;
  return {
    server,
    api,
    registry,
    snapshot: () => (pgSnapshots ? pgSnapshots.snapshot() : Promise.resolve(snapshotSqlite(server.dbFile))),
    close: async () => {
      await pgSnapshots?.close();
      await server.close();
      await pgDb?.drop();
    },
  };
}

