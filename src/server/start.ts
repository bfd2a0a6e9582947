/**
 * Starting and stopping the control plane: data directory, lock, master key, store, first
 * admin, HTTP listener. Each step fails with one clear error and undoes the steps before it.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { SlipwayError, isSlipwayError } from '../core/errors.js';
import { masterKeyCheck } from '../secrets/envelope.js';
import { masterKeyring } from '../secrets/keyring.js';
import { serviceDrivers } from '../drivers/index.js';
import { serviceBackupDrivers } from '../drivers/backup/index.js';
import { ServiceHostPolicy } from '../services/host-policy.js';
import { startServicesRuntime } from '../services/runtime.js';
import { loadMasterKey } from '../secrets/master-key.js';
import { openStore, type Store } from '../store/open.js';
import { changeChannelName, startChangeRelay, type ChangeRelay } from '../deploy/change-relay.js';
import type { Db } from '../store/schema.js';
import { bootstrapFirstAdmin } from '../tenancy/bootstrap.js';
import { buildApp } from './app.js';
import { lockDataDir } from './lock.js';
import { recoverKeyRotation } from './master-key-rotation.js';
import { prettyDestination, wantsPretty, type LogFormat } from './log-format.js';
import { createMetrics, startMetricsListener } from './metrics.js';
import type { ServerOptions } from './options.js';
import { slipwayVersion } from '../platform/version.js';
import { Registry } from '../registry/registry.js';
import { collectGarbage } from '../registry/gc.js';
import { expireIdleUploads } from '../registry/blobs.js';
import { imagesInUse } from '../releases/releases.js';
import { scheduleLogRetention } from './log-retention.js';
import { BackupScheduler } from '../services/backup-scheduler.js';
import { VolumeBackupScheduler } from '../volumes/backup-scheduler.js';
import { randomUUID } from 'node:crypto';
import { pullToken } from '../registry/auth.js';
import { GitHostPolicy } from '../git/git-cli.js';
import { EgressPolicy } from '../registry/client/index.js';
import { startDeployRuntime, type DeployRuntime } from '../deploy/runtime.js';
import { pruneOrphanVolumeBackups } from '../volumes/backups.js';
import { startPipelineRuntime, type PipelineRuntime } from '../pipelines/runtime.js';
import { SseStreams } from '../platform/sse.js';
import { startDeployBackend } from './deploy-backend.js';
import { parseCron } from '../core/cron.js';
import { startHerdRuntime, type HerdRuntime } from '../herds/runtime.js';
import { backupContext } from './routes/service-backups.js';
import { volumeContext } from './routes/volumes.js';
import { pollUpstream, startUpstreamWatcher } from '../apps/upstream.js';
import { NotificationDeliverer } from '../apps/notify-delivery.js';
import { notifyApplication } from '../apps/notifications.js';
import { notifyEgressUse } from '../apps/notify-settings.js';
import { UpstreamTrigger } from '../apps/upstream-trigger.js';
import { staticPlacements } from '../deploy/placements.js';
import { InternalCa } from '../fleet/ca.js';
import type { FleetContext } from '../fleet/servers.js';
import { AgentSessions } from '../fleet/sessions.js';
import { FleetState } from '../fleet/desired.js';
import { FleetPlacements } from '../fleet/agent-target.js';
import { startGateway, type RunningGateway } from './gateway.js';
import type { ServerDeps } from './deps.js';
import type { RegistryAccess } from '../deploy/spec.js';
import type { Provisioning } from '../services/provisioning.js';
import { DeliveryProcessor } from '../webhooks/processor.js';
import { webhookGit } from './webhook-git.js';

/** A running server. */
export interface RunningServer {
  url: string;
  adminTokenFile: string;
  logger: Logger;
  /** The URL agents dial (absent: no gateway). */
  gatewayUrl?: string;
  /** Stops accepting, lets in-flight requests finish, closes the store, releases the lock. */
  close(): Promise<void>;
}

/** A logger that never prints tokens or secret values, even if a caller logs an object by mistake. */
export function createLogger(level: string, destination?: NodeJS.WritableStream, format: LogFormat = 'json'): Logger {
  const out = destination ?? process.stdout;
  const tty = (out as { isTTY?: boolean }).isTTY === true;
  return pino(
    {
      level,
      base: { service: 'slipway' },
      redact: { paths: ['req.headers.authorization', '*.token', '*.value', '*.password', 'token', 'value', 'password'], censor: '[redacted]' },
    },
    // Readable lines on a terminal (after redaction: the formatter sees what JSON would show).
    wantsPretty(format, tty) ? prettyDestination(out, tty && !process.env.NO_COLOR) : out,
  );
}

/** Starts the server with parsed options. */
export async function startServer(options: ServerOptions, logger: Logger = createLogger(options.logLevel, undefined, options.logFormat)): Promise<RunningServer> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const lock = lockDataDir(options.dataDir);
  let store: Store | undefined;
  let relay: ChangeRelay | undefined;
  try {
    const keyFile = options.masterKeyFile ?? join(options.dataDir, 'master.key');
    const loaded = loadMasterKey(keyFile, { create: options.masterKeyFile === undefined });
    if (loaded.created) logger.info({ file: keyFile }, 'created master key (back it up: secrets cannot be read without it)');
    store = await openStore(options.databaseUrl ? { engine: 'postgres', url: options.databaseUrl } : { engine: 'sqlite', file: join(options.dataDir, 'slipway.db') });
    logger.info({ store: store.description }, 'store ready');
    // A master key rotation that stopped between its commit and the key swap is finished here.
    const settled = await recoverKeyRotation(options.dataDir, keyFile, store.db);
    if (settled === 'finished') logger.warn({ file: keyFile }, `finished an interrupted master key rotation: ${keyFile} now holds the new key (back it up)`);
    if (settled === 'dropped') logger.warn({ file: `${keyFile}.next` }, `removed ${keyFile}.next, left by a master key rotation that did not commit; the key is unchanged`);
    const key = settled === 'finished' ? loadMasterKey(keyFile, { create: false }).key : loaded.key;
    await checkMasterKey(store.db, masterKeyCheck(key), keyFile);

    const adminTokenFile = join(options.dataDir, 'admin-token');
    const first = await bootstrapFirstAdmin(store.db);
    if (first) {
      writeFileSync(adminTokenFile, `${first.token}\n`, { mode: 0o600 });
      logger.info({ file: adminTokenFile }, `first admin created; its API token is in ${adminTokenFile} (mode 0600)`);
    } else {
      logger.info({ file: adminTokenFile }, `instance already set up; the first admin token was written to ${adminTokenFile}`);
    }

    const version = slipwayVersion();
    const registry = await Registry.open(store.db, join(options.dataDir, 'registry'), key, { limits: options.registry, publicUrl: options.http.publicUrl });
    const selfHosts: string[] = options.http.publicUrl ? [new URL(options.http.publicUrl).host] : [];
    const keyring = masterKeyring(key);
    // The deploy engine starts once the listener's port is known (the target pulls from it).
    const deploy: ServerDeps['deploy'] = { enqueue: (id) => runtime?.enqueue(id), placements: staticPlacements({}) };
    let runtime: DeployRuntime | undefined;
    let pipelines: PipelineRuntime | undefined;
    let herds: HerdRuntime | undefined;
    let backend: Awaited<ReturnType<typeof startDeployBackend>> | undefined;
    const metrics = createMetrics(version, store.engine);
    // On PostgreSQL the workspace change stream spans the control planes of the store (ADR 0018).
    const channel = store.channel?.bind(store);
    if (channel) {
      let wasUp = false;
      const m = metrics.changeRelay;
      relay = startChangeRelay((listener) => channel(changeChannelName, listener), logger, {
        observer: {
          listening: (up) => {
            if (up && wasUp) m.reconnects.inc();
            if (up) wasUp = true;
            m.up.set(up ? 1 : 0);
          },
          relayed: () => m.relayed.inc(),
          publishFailed: () => m.publishFailures.inc(),
        },
      });
      await relay.ready;
    }
    // Other registries on internal addresses only as the admin allows (--allow-registry-host).
    const egress = new EgressPolicy(options.allowRegistryHosts);
    // Applications' notify URLs on internal addresses only as the admin allows (--allow-webhook-host).
    const notifyEgress = new EgressPolicy(options.allowWebhookHosts, notifyEgressUse);
    const deliverer = new NotificationDeliverer({ db: store.db, keyring, egress: notifyEgress, logger, version });
    const remote = { db: store.db, store: registry.store, keyring, egress };
    // Upstream hook calls: a poll now, at most one per application every 5 s.
    const trigger = new UpstreamTrigger(async (applicationId) => {
      const app = await remote.db.selectFrom('applications').selectAll().where('id', '=', applicationId).executeTakeFirst();
      if (!app) return;
      const r = await pollUpstream(remote, app, { poke: () => deliverer.poke() }).catch((error: unknown) => {
        logger.warn({ application: app.name, err: isSlipwayError(error) ? error.message : error }, 'polling an upstream after a hook call failed');
        return null;
      });
      if (r && r.imported.length > 0) logger.info({ application: app.name, versions: r.imported.map((i) => i.version) }, 'imported new upstream versions after a hook call');
    });
    // Services on internal addresses only as the admin allows (--allow-service-host).
    // Provisioned services run on the deploy engine's placements, known once the listener is up.
    let provisioning: Provisioning | null = null;
    const serviceCtx = { db: store.db, keyring, drivers: serviceDrivers(), hosts: new ServiceHostPolicy(options.allowServiceHosts), provisioning: () => provisioning };
    const servicesRuntime = startServicesRuntime(serviceCtx, logger);
    // The internal CA exists from the first start; the gateway only when asked for (--gateway-listen).
    const sessions = new AgentSessions();
    const fleet: FleetContext = { db: store.db, ca: await InternalCa.open(options.dataDir, keyring), sessions, state: new FleetState(store.db, keyring, sessions), gatewayUrl: null, agentCertificateMs: options.gateway.agentCertificateMs, heartbeatSeconds: options.gateway.heartbeatSeconds, acme: options.acme };
    // The webhook delivery processor starts with the deploy engine; deliveries received before wait in the store.
    let processor: DeliveryProcessor | undefined;
    const webhooks = { poke: () => processor?.poke() };
    const unpackLimits = { maxUnpackedBytes: options.maxUnpackedBytes, maxRatio: options.maxUnpackRatio };
    const gitHosts = new GitHostPolicy(options.allowGitHosts);
    const serverDeps: ServerDeps = { db: store.db, engine: store.engine, keyring, logger, metrics, version, registry, dataDir: options.dataDir, maxArtifactBytes: options.maxArtifactBytes, unpackLimits, egress, selfHosts, upstreamMinPollSeconds: options.upstreamMinPollSeconds, deploy, trustedProxies: options.http.trustedProxies, maxStreamsPerToken: options.maxStreamsPerToken, streams: new SseStreams(), services: { drivers: serviceCtx.drivers, hosts: serviceCtx.hosts, poke: servicesRuntime.poke, provisioning: serviceCtx.provisioning, backups: serviceBackupDrivers(), keepBackups: options.keepBackups }, fleet, gitHosts, webhooks, apps: { notifyEgress, poke: () => deliverer.poke(), trigger } };
    // Until everything below is up, the API answers SLW_STARTING (the listener must be up first: the deploy engine pulls from its registry).
    let ready = false;
    serverDeps.starting = () => !ready;
    const app = buildApp(serverDeps);
    try {
      await app.listen({ host: options.listen.host, port: options.listen.port });
    } catch (error) {
      await servicesRuntime.stop();
      await app.close();
      throw new SlipwayError('SLW_SERVER_CONFIG', `cannot listen on ${options.listen.host}:${options.listen.port}: ${(error as Error).message}`, { cause: error });
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.listen.port;
    const host = options.listen.host.includes(':') ? `[${options.listen.host}]` : options.listen.host;
    const url = `http://${host}:${port}`;
    selfHosts.push(`${host}:${port}`.toLowerCase(), `localhost:${port}`);
    // Listening on every address: the loopback names are this server too.
    if (host === '0.0.0.0' || host === '[::]') selfHosts.push(`127.0.0.1:${port}`, `[::1]:${port}`);
    const stopGc = scheduleRegistryGc(registry, store.db, options.registryGcInterval, logger);
    const stopUploadExpiry = scheduleUploadExpiry(registry, logger);
    const stopLogRetention = scheduleLogRetention(store.db, options.keepLogs, logger);
    // Scheduled backups of attachments: each due slot taken once across control planes (a conditional write).
    const backupScheduler = new BackupScheduler({ ctx: backupContext(serverDeps), owner: `${process.pid}-${randomUUID()}`, logger });
    backupScheduler.start();
    // …and of environment volumes (through the targets, known once the deploy engine is up below).
    const volumeBackupScheduler = new VolumeBackupScheduler({ ctx: () => volumeContext(serverDeps), owner: `${process.pid}-${randomUUID()}`, logger });
    volumeBackupScheduler.start();
    // Upstream applications: their repositories polled for new semver tags.
    const stopUpstreams = startUpstreamWatcher(remote, logger, Math.min(15_000, options.upstreamMinPollSeconds * 500), () => deliverer.poke());
    // Notifications to applications' notify URLs, in the background.
    deliverer.start();
    let metricsListener: Awaited<ReturnType<typeof startMetricsListener>> | undefined;
    let gateway: RunningGateway | undefined;
    const stopEdges = async () => {
      await gateway?.close();
      await servicesRuntime.stop();
      stopGc();
      stopUploadExpiry();
      stopLogRetention();
      await backupScheduler.stop();
      await volumeBackupScheduler.stop();
      await stopUpstreams();
      await trigger.stop();
      await deliverer.stop();
      notifyEgress.close();
      await metricsListener?.close();
    };
    try {
      if (options.http.metricsListen) {
        const m = options.http.metricsListen;
        metricsListener = await startMetricsListener(metrics, m).catch((error: unknown) => {
          throw new SlipwayError('SLW_SERVER_CONFIG', `cannot listen for metrics on ${m.host}:${m.port}: ${(error as Error).message}`, { cause: error });
        });
        logger.info({ url: metricsListener.url }, `metrics (no token) on ${metricsListener.url}`);
      }
      if (options.gateway.listen) {
        gateway = await startGateway(fleet, options.gateway.listen, options.gateway.url, logger, { host: host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host.replace(/^\[|\]$/g, ''), port });
        fleet.gatewayUrl = gateway.url;
        logger.info({ url: gateway.url, listen: gateway.address, caPin: fleet.ca.pin }, `agent gateway on ${gateway.address} (agents dial ${gateway.url})`);
      }
      const registryHost = `${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
      backend = options.proxyListen ? await startDeployBackend(options, logger) : undefined;
      const localPlacements = staticPlacements(backend ? { local: backend } : {}, (name) =>
        name === 'local' && !backend ? 'this server runs without an edge proxy: start it with --proxy-listen HOST:PORT (and a Docker engine) to deploy' : undefined,
      );
      // Joined servers are placements too, by name (reloaded whenever one joins, is revoked or removed).
      const placements = new FleetPlacements(localPlacements, store.db, fleet.state);
      await placements.refresh();
      fleet.changed = () => placements.refresh();
      deploy.placements = placements;
      // The target pulls over loopback: 127.0.0.0/8 is a plain-HTTP registry to Docker.
      const registryAccess: RegistryAccess = { host: registryHost, auth: (repository) => ({ registry: registryHost, username: 'slipway-deploy', password: pullToken(registry.auth, repository, Math.floor(Date.now() / 1000)) }) };
      const instance = await instanceId(store.db);
      // Backup files of environments deleted while no server removed them (a site, a preview).
      await pruneOrphanVolumeBackups(store.db, options.dataDir);
      provisioning = { placements: deploy.placements, registry: registryAccess, instance };
      runtime = await startDeployRuntime({
        db: store.db,
        keyring,
        logger,
        owner: `${process.pid}-${randomUUID()}`,
        registry: registryAccess,
        placements: deploy.placements,
        instance,
        drainMinMs: options.drainMs,
        drainCapMs: options.drainCapMs,
      });
      const deployRuntime = runtime;
      processor = new DeliveryProcessor({ db: store.db, keyring, logger, placements: () => deploy.placements, enqueue: (id) => deployRuntime.enqueue(id), git: webhookGit(serverDeps) });
      await processor.start();
      pipelines = await startPipelineRuntime({ db: store.db, keyring, logger, owner: `${process.pid}-${randomUUID()}`, registry: registryAccess, placements: deploy.placements, instance });
      // Herd upgrades: each site backed up, migrated, deployed and baked through the engine above.
      herds = await startHerdRuntime({ db: store.db, keyring, logger, owner: `${process.pid}-${randomUUID()}`, backups: backupContext(serverDeps), volumes: volumeContext(serverDeps), placements: () => deploy.placements, enqueueDeploy: (id) => deployRuntime.enqueue(id), windowOpen: (cron, at) => parseCron(cron).matches(at), checkWindow: (cron) => void parseCron(cron), notify: async (applicationId, notice) => void (await notifyApplication({ db: serverDeps.db, poke: () => deliverer.poke() }, applicationId, notice)) });
    } catch (error) {
      await herds?.stop();
      await pipelines?.stop();
      await runtime?.stop();
      await stopEdges();
      await backend?.stop();
      await app.close();
      throw error;
    }
    const runningDeploy = runtime;
    const runningPipelines = pipelines;
    const runningHerds = herds;
    ready = true;
    logger.info({ url, version }, `Slipway ${version} listening on ${url}`);

    const openStoreRef = store;
    return {
      url,
      adminTokenFile,
      logger,
      ...(gateway ? { gatewayUrl: gateway.url } : {}),
      close: async () => {
        await processor?.stop();
        await stopEdges();
        await runningHerds?.stop();
        await runningPipelines.stop();
        await runningDeploy.stop();
        await backend?.stop();
        // Event streams end as the app closes (its preClose hook); the deploy's last changes are out by now.
        await app.close();
        egress.close();
        await relay?.close();
        await openStoreRef.close();
        lock.release();
      },
    };
  } catch (error) {
    await relay?.close();
    await store?.close();
    lock.release();
    throw error;
  }
}

/** Online registry GC every `intervalSeconds` (jittered, never two at once); returns a stop function. */
function scheduleRegistryGc(registry: Registry, db: Db, intervalSeconds: number, logger: Logger): () => void {
  if (intervalSeconds === 0) return () => undefined;
  let running = false;
  const timer = setInterval(
    () => {
      if (running) return;
      running = true;
      collectGarbage(registry.store, (projectId) => imagesInUse(db, projectId), { dryRun: false, graceMs: 3600_000 })
        .then((r) => logger.info({ images: r.images.length, blobs: r.blobs.count, bytes: r.blobs.bytes }, 'registry garbage collected'))
        .catch((error: unknown) => logger.error({ err: error }, 'registry garbage collection failed'))
        .finally(() => {
          running = false;
        });
    },
    intervalSeconds * 1000 * (0.9 + Math.random() * 0.2),
  );
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Cancels idle registry upload sessions. It runs every quarter of the idle timeout (at least
 * every second, at most every minute), so a session outlives its timeout by at most a quarter
 * of it; the work is one query over the open sessions. No jitter: one process, one timer.
 */
function scheduleUploadExpiry(registry: Registry, logger: Logger): () => void {
  const idleMs = registry.limits.uploadIdleMs;
  let running = false;
  const timer = setInterval(
    () => {
      if (running) return;
      running = true;
      expireIdleUploads(registry.store, idleMs)
        .then((n) => n > 0 && logger.info({ uploads: n }, 'idle registry upload sessions cancelled'))
        .catch((error: unknown) => logger.error({ err: error }, 'expiring idle upload sessions failed'))
        .finally(() => {
          running = false;
        });
    },
    Math.min(60_000, Math.max(1000, idleMs / 4)),
  );
  timer.unref();
  return () => clearInterval(timer);
}

/** This instance's id, made at its first start: on every workload it runs, so instances sharing a Docker engine never touch each other's. */
async function instanceId(db: Db): Promise<string> {
  const fresh = `i${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await db.insertInto('slipway_meta').values({ key: 'instance_id', value: fresh }).onConflict((oc) => oc.column('key').doNothing()).execute();
  return (await db.selectFrom('slipway_meta').select('value').where('key', '=', 'instance_id').executeTakeFirstOrThrow()).value;
}

async function checkMasterKey(db: Db, check: string, keyFile: string): Promise<void> {
  const row = await db.selectFrom('slipway_meta').select('value').where('key', '=', 'master_key_check').executeTakeFirst();
  if (!row) {
    await db.insertInto('slipway_meta').values({ key: 'master_key_check', value: check }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return checkMasterKey(db, check, keyFile);
  }
  if (row.value !== check) {
    throw new SlipwayError('SLW_MASTER_KEY_MISMATCH', `the master key in ${keyFile} is not the one this database's secrets were encrypted with; point SLIPWAY_MASTER_KEY_FILE at the original key file`);
  }
}

