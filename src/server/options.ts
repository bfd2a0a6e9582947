/**
 * The server's configuration: one schema, parsed once at start from flags and SLIPWAY_*
 * variables (flags win), failing fast with a message that names the bad setting.
 *
 * @module
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { SlipwayError } from '../core/errors.js';

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
  /** Where the edge proxy (Caddy) listens; absent: no deploy engine backend. */
  proxyListen: listenSchema.optional(),
  /** Caddy's admin API address (loopback). @default 127.0.0.1:2019 */
  caddyAdmin: listenSchema.default({ host: '127.0.0.1', port: 2019 }),
  /** How long old replicas keep serving in-flight requests after a switch, in ms. @default 2000 */
  drainMs: z.coerce.number().int().min(0).max(600_000).default(2000),
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
  logFormat?: string | undefined;
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
    logFormat: o.logFormat,
    registryGcInterval: o.registryGcInterval,
    maxArtifactBytes: o.maxArtifactBytes,
    proxyListen: o.proxyListen,
    caddyAdmin: o.caddyAdmin,
    drainMs: o.drainMs,
  };
}
