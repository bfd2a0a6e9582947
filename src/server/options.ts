/**
 * The server's configuration: one schema, parsed once at start from flags and SLIPWAY_*
 * variables (flags win), failing fast with a message that names the bad setting.
 *
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { SlipwayError } from '../core/errors.js';
import { parseAllowEntry } from '../registry/client/egress.js';

const listenSchema = z.string().transform((value, ctx) => {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:\s]+))?:(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `listen address '${value}' is not HOST:PORT (e.g. 127.0.0.1:7070)` });
    return z.NEVER;
  }
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
});

/** A byte size: a whole number with an optional binary unit (`10GiB`, `512m`, `1048576`). */
const sizeSchema = z.string().transform((value, ctx) => {
  const m = /^(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?$/i.exec(value.trim());
  const unit = 'bkmgt'.indexOf((m?.[2] ?? 'b')[0]!.toLowerCase());
  const bytes = m ? Number(m[1]) * 1024 ** unit : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a size in bytes (e.g. 10GiB, 512MiB, 1048576)` });
    return z.NEVER;
  }
  return bytes;
});

/** The server's public URL: an http(s) origin, nothing after the host and port. */
const publicUrlSchema = z.string().transform((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    ctx.addIssue({ code: 'custom', message: `public URL '${value}' is not http(s)://HOST[:PORT] (no path, query or credentials)` });
    return z.NEVER;
  }
  return url.origin;
});

/** Trusted proxies: IP addresses or CIDR ranges. */
const proxiesSchema = z.array(
  z.string().refine((v) => {
    const [ip, bits, extra] = v.split('/');
    const family = isIP(ip ?? '');
    return family !== 0 && extra === undefined && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)));
  }, 'a trusted proxy is an IP address or a CIDR range (e.g. 10.0.0.5 or 10.0.0.0/24)'),
);

const loopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/** Repeatable `--allow-…-host` values: host names, addresses, CIDR ranges, each checked and normalised. */
const allowListSchema = z
  .array(z.string())
  .default([])
  .transform((values, ctx) => {
    const out: string[] = [];
    for (const value of values) {
      const parsed = parseAllowEntry(value);
      if ('error' in parsed) {
        ctx.addIssue({ code: 'custom', message: parsed.error });
        return z.NEVER;
      }
      out.push(parsed.entry);
    }
    return out;
  });

const schema = z.object({
  /** @default ./.slipway */
  dataDir: z.string().min(1).default('.slipway'),
  /** @default 127.0.0.1:7070 */
  listen: listenSchema.default({ host: '127.0.0.1', port: 7070 }),
  /** PostgreSQL URL; absent means embedded SQLite in the data dir. */
  databaseUrl: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), { message: 'database URL must start with postgres:// (leave it out for the embedded SQLite store)' })
    .optional(),
  /** The master key file; absent means `<data-dir>/master.key`, created on first start. */
  masterKeyFile: z.string().min(1).optional(),
  /** Seconds between online registry GC runs (0: never; run `slipway registry gc`). @default 3600 */
  registryGcInterval: z.coerce.number().int().min(0).default(3600),
  /** Largest artifact `slipway build` accepts, in bytes. @default 2 GiB */
  maxArtifactBytes: z.coerce.number().int().min(1).default(2 * 1024 ** 3),
  /** Most bytes an artifact may unpack to (every entry's data, every byte decompressed). @default 2 GiB */
  maxUnpackedBytes: z.coerce.number().int().min(1).default(2 * 1024 ** 3),
  /** Most bytes unpacked per byte uploaded (checked past 32 MiB). @default 100 */
  maxUnpackRatio: z.coerce.number().int().min(1).default(100),
  /** Hosts and CIDR ranges on internal addresses the server may fetch images from. @default none */
  allowRegistryHosts: allowListSchema,
  /** Hosts and CIDR ranges on internal addresses workspaces may adopt as services. @default none */
  allowServiceHosts: allowListSchema,
  /** Hosts and CIDR ranges on internal addresses the server may fetch git repositories from. @default none */
  allowGitHosts: allowListSchema,
  /** Hosts and CIDR ranges on internal addresses the server may send outgoing webhooks (applications' notify URLs) to. @default none */
  allowWebhookHosts: allowListSchema,
  /** Where the edge proxy (Caddy) listens; absent: no deploy engine backend. */
  proxyListen: listenSchema.optional(),
  /** Shortest time old replicas stay after a switch, in ms; then they go once the proxy has no request in flight to them. @default 500 */
  drainMs: z.coerce.number().int().min(0).max(600_000).default(500),
  /** Longest drain, in ms: old replicas go then even with requests still in flight. @default 30000 */
  drainCapMs: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  // HTTP edges and registry limits.
  /** The URL clients reach this server at (registry token realm); absent: the address each client connected to. */
  publicUrl: publicUrlSchema.optional(),
  /** Proxies whose X-Forwarded-* headers are believed (client address in logs). @default none */
  trustedProxies: proxiesSchema.default([]),
  /** A second, loopback-only listener serving GET /metrics without a token. */
  metricsListen: listenSchema.refine((l) => loopback(l.host), 'the metrics listener must be on loopback (127.0.0.1, ::1 or localhost)').optional(),
  /** Largest registry blob. @default 10 GiB */
  maxBlobSize: sizeSchema.default(10 * 1024 ** 3),
  /** Seconds after which an idle registry upload session is cancelled. @default 900 */
  uploadIdleTimeout: z.coerce.number().int().min(1).max(7 * 86400).default(900),
  /** Registry upload sessions a workspace may have open at once. @default 100 */
  maxUploadSessions: z.coerce.number().int().min(1).max(100_000).default(100),
  /** Event streams (SSE) one API token may hold open at once. @default 20 */
  maxStreamsPerToken: z.coerce.number().int().min(1).max(10_000).default(20),
  /** Where the agent gateway (HTTPS, mTLS WebSocket) listens; absent: no gateway, servers cannot join. */
  gatewayListen: listenSchema.optional(),
  /** The URL agents dial (goes into join tokens); default https://LISTEN-HOST:PORT. */
  gatewayUrl: z
    .string()
    .refine((v) => /^https:\/\/[^/?#@]+\/?$/.test(v), { message: 'the gateway URL is https://HOST:PORT (no path, query or credentials)' })
    .optional(),
  /** Seconds an agent certificate is valid; agents renew at two thirds. @default 21600 (6 h) */
  agentCertTtl: z.coerce.number().int().min(60).max(30 * 86400).default(21600),
  /** Seconds between agent heartbeats. @default 10 */
  agentHeartbeat: z.coerce.number().int().min(1).max(300).default(10),
  /** Backups kept per attachment: after each new one the oldest beyond this are removed (never one an unfinished upgrade needs); 0 keeps every one. @default 0 */
  keepBackups: z.coerce.number().int().min(0).max(100_000).default(0),
  /** Days the logs of ended deployments, pipeline runs and herd upgrades are kept; 0 keeps them all. @default 0 */
  keepLogs: z.coerce.number().int().min(0).max(36_500).default(0),
  /** The shortest poll interval an upstream application may ask for, in seconds. @default 30 */
  upstreamMinPoll: z.coerce.number().int().min(1).max(86400).default(30),
  /** The ACME directory servers' edges get certificates from (names that are not private); absent: Let's Encrypt (Caddy's default issuers). */
  acmeDirectory: z
    .string()
    .refine((v) => {
      try {
        const url = new URL(v);
        return url.protocol === 'https:' && !url.username && !url.password && !url.hash;
      } catch {
        return false;
      }
    }, 'the ACME directory is an https:// URL, e.g. https://ca.example.com/acme/directory')
    .optional(),
  /** A PEM file of the CA roots servers' edges trust when talking to the ACME directory (a private ACME CA). */
  acmeCaRoot: z.string().min(1).optional(),
  /** The ACME account's contact address. */
  acmeEmail: z.string().regex(/^[^\s@]+@[^\s@]+$/, 'the ACME email is an address like ops@example.com').max(254).optional(),
  /** @default info */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** auto: readable lines when stdout is a terminal, JSON lines otherwise. @default auto */
  logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
});

/** Parsed server options. */
export interface ServerOptions {
  dataDir: string;
  listen: { host: string; port: number };
  databaseUrl: string | undefined;
  masterKeyFile: string | undefined;
  logLevel: z.output<typeof schema>['logLevel'];
  logFormat: z.output<typeof schema>['logFormat'];
  registryGcInterval: number;
  maxArtifactBytes: number;
  maxUnpackedBytes: number;
  maxUnpackRatio: number;
  /** `--allow-registry-host` values: host names, addresses, CIDR ranges. */
  allowRegistryHosts: string[];
  /** `--allow-service-host` values: host names, addresses, CIDR ranges. */
  allowServiceHosts: string[];
  /** `--allow-git-host` values: host names, addresses, CIDR ranges. */
  allowGitHosts: string[];
  /** `--allow-webhook-host` values: host names, addresses, CIDR ranges. */
  allowWebhookHosts: string[];
  proxyListen: { host: string; port: number } | undefined;
  drainMs: number;
  drainCapMs: number;
  /** On shutdown, stop the edge proxy too (default: leave it serving; the next server adopts it). */
  stopProxy: boolean;
  /** HTTP edges: public URL, trusted proxies, the metrics listener. */
  http: { publicUrl: string | undefined; trustedProxies: string[]; metricsListen: { host: string; port: number } | undefined };
  /** Registry limits. */
  registry: { maxBlobBytes: number; uploadIdleMs: number; maxUploadSessions: number };
  maxStreamsPerToken: number;
  /** The agent gateway: where it listens, the URL agents dial, agent certificate lifetime, heartbeat interval. */
  gateway: { listen: { host: string; port: number } | undefined; url: string | undefined; agentCertificateMs: number; heartbeatSeconds: number };
  /** How servers' edges get certificates for names that are not private (handed to agents); all null: Caddy's defaults. */
  acme: { directory: string | null; caRootPem: string | null; email: string | null };
  /** Upstream applications: the shortest poll interval allowed, in seconds. */
  upstreamMinPollSeconds: number;
  /** Service backups kept per attachment (0: every one). */
  keepBackups: number;
  /** Days the logs of ended deployments, runs and upgrades are kept (0: all). */
  keepLogs: number;
}

/** Flags as the CLI passes them (all optional strings). */
export interface ServerFlags {
  dataDir?: string | undefined;
  listen?: string | undefined;
  databaseUrl?: string | undefined;
  proxyListen?: string | undefined;
  stopProxy?: boolean | undefined;
  publicUrl?: string | undefined;
  trustedProxy?: string[] | undefined;
  metricsListen?: string | undefined;
  maxBlobSize?: string | undefined;
  /** Repeatable `--allow-registry-host`. */
  allowRegistryHost?: string[] | undefined;
  /** Repeatable `--allow-service-host`. */
  allowServiceHost?: string[] | undefined;
  /** Repeatable `--allow-git-host`. */
  allowGitHost?: string[] | undefined;
  /** Repeatable `--allow-webhook-host`. */
  allowWebhookHost?: string[] | undefined;
  logFormat?: string | undefined;
  gatewayListen?: string | undefined;
  gatewayUrl?: string | undefined;
  acmeDirectory?: string | undefined;
  acmeCaRoot?: string | undefined;
  acmeEmail?: string | undefined;
  keepBackups?: string | undefined;
  keepLogs?: string | undefined;
}

/** Parses flags over environment variables into {@link ServerOptions}. */
export function parseServerOptions(flags: ServerFlags, env: NodeJS.ProcessEnv): ServerOptions {
  const input = {
    dataDir: flags.dataDir ?? env.SLIPWAY_DATA_DIR,
    listen: flags.listen ?? env.SLIPWAY_LISTEN,
    databaseUrl: flags.databaseUrl ?? env.SLIPWAY_DATABASE_URL,
    masterKeyFile: env.SLIPWAY_MASTER_KEY_FILE,
    logLevel: env.SLIPWAY_LOG_LEVEL,
    logFormat: flags.logFormat ?? env.SLIPWAY_LOG_FORMAT,
    registryGcInterval: env.SLIPWAY_REGISTRY_GC_INTERVAL,
    maxArtifactBytes: env.SLIPWAY_MAX_ARTIFACT_BYTES,
    maxUnpackedBytes: env.SLIPWAY_MAX_UNPACKED_BYTES,
    maxUnpackRatio: env.SLIPWAY_MAX_UNPACK_RATIO,
    allowRegistryHosts: flags.allowRegistryHost?.length ? flags.allowRegistryHost : env.SLIPWAY_ALLOW_REGISTRY_HOSTS?.split(',').map((v) => v.trim()).filter((v) => v !== ''),
    allowServiceHosts: flags.allowServiceHost?.length ? flags.allowServiceHost : env.SLIPWAY_ALLOW_SERVICE_HOSTS?.split(',').map((v) => v.trim()).filter((v) => v !== ''),
    allowGitHosts: flags.allowGitHost?.length ? flags.allowGitHost : env.SLIPWAY_ALLOW_GIT_HOSTS?.split(',').map((v) => v.trim()).filter((v) => v !== ''),
    allowWebhookHosts: flags.allowWebhookHost?.length ? flags.allowWebhookHost : env.SLIPWAY_ALLOW_WEBHOOK_HOSTS?.split(',').map((v) => v.trim()).filter((v) => v !== ''),
    proxyListen: flags.proxyListen ?? env.SLIPWAY_PROXY_LISTEN,
    drainMs: env.SLIPWAY_DRAIN_MS,
    drainCapMs: env.SLIPWAY_DRAIN_CAP_MS,
    publicUrl: flags.publicUrl ?? env.SLIPWAY_PUBLIC_URL,
    trustedProxies: flags.trustedProxy?.length ? flags.trustedProxy : env.SLIPWAY_TRUSTED_PROXIES?.split(',').map((p) => p.trim()).filter(Boolean),
    metricsListen: flags.metricsListen ?? env.SLIPWAY_METRICS_LISTEN,
    maxBlobSize: flags.maxBlobSize ?? env.SLIPWAY_MAX_BLOB_SIZE,
    uploadIdleTimeout: env.SLIPWAY_UPLOAD_IDLE_TIMEOUT,
    maxUploadSessions: env.SLIPWAY_MAX_UPLOAD_SESSIONS,
    maxStreamsPerToken: env.SLIPWAY_MAX_STREAMS_PER_TOKEN,
    gatewayListen: flags.gatewayListen ?? env.SLIPWAY_GATEWAY_LISTEN,
    gatewayUrl: flags.gatewayUrl ?? env.SLIPWAY_GATEWAY_URL,
    agentCertTtl: env.SLIPWAY_AGENT_CERT_TTL,
    agentHeartbeat: env.SLIPWAY_AGENT_HEARTBEAT,
    upstreamMinPoll: env.SLIPWAY_UPSTREAM_MIN_POLL,
    keepBackups: flags.keepBackups ?? env.SLIPWAY_KEEP_BACKUPS,
    keepLogs: flags.keepLogs ?? env.SLIPWAY_KEEP_LOGS,
    acmeDirectory: flags.acmeDirectory ?? env.SLIPWAY_ACME_DIRECTORY,
    acmeCaRoot: flags.acmeCaRoot ?? env.SLIPWAY_ACME_CA_ROOT,
    acmeEmail: flags.acmeEmail ?? env.SLIPWAY_ACME_EMAIL,
  };
  const result = schema.safeParse(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== '')));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new SlipwayError('SLW_SERVER_CONFIG', `invalid server option ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const o = result.data;
  if (o.acmeCaRoot !== undefined && o.acmeDirectory === undefined) {
    throw new SlipwayError('SLW_SERVER_CONFIG', 'invalid server option acmeCaRoot: a CA root is for a private ACME directory; give --acme-directory URL too');
  }
  return {
    dataDir: resolve(o.dataDir),
    listen: o.listen,
    databaseUrl: o.databaseUrl,
    masterKeyFile: o.masterKeyFile ? resolve(o.masterKeyFile) : undefined,
    logLevel: o.logLevel,
    logFormat: o.logFormat,
    registryGcInterval: o.registryGcInterval,
    maxArtifactBytes: o.maxArtifactBytes,
    maxUnpackedBytes: o.maxUnpackedBytes,
    maxUnpackRatio: o.maxUnpackRatio,
    allowRegistryHosts: o.allowRegistryHosts,
    allowServiceHosts: o.allowServiceHosts,
    allowGitHosts: o.allowGitHosts,
    allowWebhookHosts: o.allowWebhookHosts,
    proxyListen: o.proxyListen,
    drainMs: o.drainMs,
    drainCapMs: Math.max(o.drainCapMs, o.drainMs),
    stopProxy: flags.stopProxy === true,
    http: { publicUrl: o.publicUrl, trustedProxies: o.trustedProxies, metricsListen: o.metricsListen },
    registry: { maxBlobBytes: o.maxBlobSize, uploadIdleMs: o.uploadIdleTimeout * 1000, maxUploadSessions: o.maxUploadSessions },
    maxStreamsPerToken: o.maxStreamsPerToken,
    gateway: { listen: o.gatewayListen, url: o.gatewayUrl?.replace(/\/$/, ''), agentCertificateMs: o.agentCertTtl * 1000, heartbeatSeconds: o.agentHeartbeat },
    acme: { directory: o.acmeDirectory ?? null, caRootPem: o.acmeCaRoot === undefined ? null : readCaRoots(o.acmeCaRoot), email: o.acmeEmail ?? null },
    upstreamMinPollSeconds: o.upstreamMinPoll,
    keepBackups: o.keepBackups,
    keepLogs: o.keepLogs,
  };
}

/** The certificates of a PEM file, each checked, as one PEM text; a clear error when there is none or one is broken. */
function readCaRoots(file: string): string {
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (error) {
    throw new SlipwayError('SLW_SERVER_CONFIG', `invalid server option acmeCaRoot: cannot read ${file}: ${(error as Error).message}`);
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new SlipwayError('SLW_SERVER_CONFIG', `invalid server option acmeCaRoot: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks
    .map((block, i) => {
      try {
        return new X509Certificate(block).toString().trim();
      } catch (error) {
        throw new SlipwayError('SLW_SERVER_CONFIG', `invalid server option acmeCaRoot: certificate ${i + 1} in ${file} cannot be read: ${(error as Error).message}`);
      }
    })
    .join('\n')
    .concat('\n');
}
