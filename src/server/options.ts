/**
 * The server's configuration: one schema, parsed once at start from flags and SLIPWAY_*
 * variables (flags win), failing fast with a message that names the bad setting.
 *
 * @module
 */
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
  allowRegistryHosts: z
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
    }),
  /** Where the edge proxy (Caddy) listens; absent: no deploy engine backend. */
  proxyListen: listenSchema.optional(),
  /** Caddy's admin API address (loopback). @default 127.0.0.1:2019 */
  caddyAdmin: listenSchema.default({ host: '127.0.0.1', port: 2019 }),
  /** How long old replicas keep serving in-flight requests after a switch, in ms. @default 2000 */
  drainMs: z.coerce.number().int().min(0).max(600_000).default(2000),
  /** @default info */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Parsed server options. */
export interface ServerOptions {
  dataDir: string;
  listen: { host: string; port: number };
  databaseUrl: string | undefined;
  masterKeyFile: string | undefined;
  logLevel: z.output<typeof schema>['logLevel'];
  registryGcInterval: number;
  maxArtifactBytes: number;
  maxUnpackedBytes: number;
  maxUnpackRatio: number;
  /** `--allow-registry-host` values: host names, addresses, CIDR ranges. */
  allowRegistryHosts: string[];
  proxyListen: { host: string; port: number } | undefined;
  caddyAdmin: { host: string; port: number };
  drainMs: number;
}

/** Flags as the CLI passes them (all optional strings). */
export interface ServerFlags {
  dataDir?: string | undefined;
  listen?: string | undefined;
  databaseUrl?: string | undefined;
  proxyListen?: string | undefined;
  /** Repeatable `--allow-registry-host`. */
  allowRegistryHost?: string[] | undefined;
}

/** Parses flags over environment variables into {@link ServerOptions}. */
export function parseServerOptions(flags: ServerFlags, env: NodeJS.ProcessEnv): ServerOptions {
  const input = {
    dataDir: flags.dataDir ?? env.SLIPWAY_DATA_DIR,
    listen: flags.listen ?? env.SLIPWAY_LISTEN,
    databaseUrl: flags.databaseUrl ?? env.SLIPWAY_DATABASE_URL,
    masterKeyFile: env.SLIPWAY_MASTER_KEY_FILE,
    logLevel: env.SLIPWAY_LOG_LEVEL,
    registryGcInterval: env.SLIPWAY_REGISTRY_GC_INTERVAL,
    maxArtifactBytes: env.SLIPWAY_MAX_ARTIFACT_BYTES,
    maxUnpackedBytes: env.SLIPWAY_MAX_UNPACKED_BYTES,
    maxUnpackRatio: env.SLIPWAY_MAX_UNPACK_RATIO,
    allowRegistryHosts: flags.allowRegistryHost?.length ? flags.allowRegistryHost : env.SLIPWAY_ALLOW_REGISTRY_HOSTS?.split(',').map((v) => v.trim()).filter((v) => v !== ''),
    proxyListen: flags.proxyListen ?? env.SLIPWAY_PROXY_LISTEN,
    caddyAdmin: env.SLIPWAY_CADDY_ADMIN,
    drainMs: env.SLIPWAY_DRAIN_MS,
  };
  const result = schema.safeParse(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== '')));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new SlipwayError('SLW_SERVER_CONFIG', `invalid server option ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const o = result.data;
  return {
    dataDir: resolve(o.dataDir),
    listen: o.listen,
    databaseUrl: o.databaseUrl,
    masterKeyFile: o.masterKeyFile ? resolve(o.masterKeyFile) : undefined,
    logLevel: o.logLevel,
    registryGcInterval: o.registryGcInterval,
    maxArtifactBytes: o.maxArtifactBytes,
    maxUnpackedBytes: o.maxUnpackedBytes,
    maxUnpackRatio: o.maxUnpackRatio,
    allowRegistryHosts: o.allowRegistryHosts,
    proxyListen: o.proxyListen,
    caddyAdmin: o.caddyAdmin,
    drainMs: o.drainMs,
  };
}
