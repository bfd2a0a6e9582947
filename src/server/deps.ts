/**
 * What the HTTP layer needs from the server: the store, the keyring, the logger and metrics.
 *
 * @module
 */
import type { Logger } from 'pino';
import type { Db } from '../store/schema.js';
import type { Keyring } from '../secrets/secrets.js';
import type { Metrics } from './metrics.js';
import type { Registry } from '../registry/registry.js';
import type { Placements } from '../deploy/target.js';
import type { FleetContext } from '../fleet/servers.js';
import type { ArchiveLimits } from '../builder/types.js';
import type { EgressPolicy } from '../registry/client/index.js';
import type { SseStreams } from '../platform/sse.js';
import type { ServiceDrivers } from '../services/driver.js';
import type { ServiceBackupDrivers } from '../services/backup-driver.js';
import type { ServiceHostPolicy } from '../services/host-policy.js';
import type { Provisioning } from '../services/provisioning.js';
import type { GitHostPolicy } from '../git/git-cli.js';
import type { UpstreamTrigger } from '../apps/upstream-trigger.js';

/** The server's services, built once at start and handed to every route. */
export interface ServerDeps {
  db: Db;
  engine: 'sqlite' | 'postgres';
  keyring: Keyring;
  logger: Logger;
  metrics: Metrics;
  version: string;
  registry: Registry;
  /** Where the server keeps files (registry blobs, build scratch space). */
  dataDir: string;
  /** Largest artifact a build accepts, in bytes. */
  maxArtifactBytes: number;
  /** What an artifact may unpack to (absent: the builder's defaults). */
  unpackLimits?: Partial<ArchiveLimits>;
  /** Which other registries the server may fetch from (absent: none on an internal address). */
  egress?: EgressPolicy;
  /** host:port names of this server (its own registry), besides the Host header of a request. */
  selfHosts: string[];
  /** The shortest poll interval an upstream application may ask for, in seconds (absent: 30). */
  upstreamMinPollSeconds?: number;
  /** The deploy engine's queue and the targets it places environments on (without --proxy-listen, `local` says what to start). */
  deploy: { enqueue(environmentId: string): void; placements: Placements };
  /** Addresses or CIDR ranges of proxies whose X-Forwarded-* headers are believed (default none). */
  trustedProxies?: string[];
  /** The server's open event streams (all end when it stops). */
  streams: SseStreams;
  /** Event streams one API token may hold open at once (default 20; http/stream-limits.ts). */
  maxStreamsPerToken?: number;
  /** Services: the drivers per kind, which hosts may be adopted, a nudge for the services sweep, provisioning, and the backup drivers. */
  services: { drivers: ServiceDrivers; hosts: ServiceHostPolicy; poke(): void; provisioning?: () => Provisioning | null; backups: ServiceBackupDrivers; /** Backups kept per attachment (0: every one; --keep-backups). */ keepBackups?: number };
  /** Servers and their agents: the internal CA, live sessions, the gateway URL (absent: the fleet is off). */
  fleet?: FleetContext;
  /** Which git hosts projects may link (`--allow-git-host`; absent: none on an internal address). */
  gitHosts?: GitHostPolicy;
  /** Webhooks: a nudge for the delivery processor (absent: deliveries wait for its next resync). */
  webhooks?: { poke(): void };
  /** Applications: the outgoing webhooks' egress policy (`--allow-webhook-host`), a nudge for their deliverer, the upstream hook's polls (absent: nothing internal, the deliverer's sweep, hook calls answer but poll nothing). */
  apps?: { notifyEgress: EgressPolicy; poke(): void; trigger?: UpstreamTrigger };
  /** The web panel's build (default: dist/panel beside the server code). */
  panelDir?: string;
  /**
   * Whether the server is still starting (listening, but its edge, gateway and deploy engine not
   * up yet): the API then answers SLW_STARTING and /healthz 503 (absent: ready).
   */
  starting?: () => boolean;
}
