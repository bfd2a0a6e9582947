/** API shapes: servers joined by agents (instance admins). A join token is shown once, at its creation. */
import { z } from 'zod';
import { nameSchema, timestamp } from './common.js';

export const serverMetricsSchema = z
  .object({
    cpuPercent: z.number().meta({ description: 'CPU busy over the last heartbeat interval, 0-100 (all cores)' }),
    cpus: z.number().int(),
    load1: z.number(),
    memoryUsedBytes: z.number(),
    memoryTotalBytes: z.number(),
    diskUsedBytes: z.number().meta({ description: "used bytes of the file system of the agent's data directory" }),
    diskTotalBytes: z.number(),
    containers: z.number().int().nullable().meta({ description: 'containers on its Docker engine (null: the engine does not answer)' }),
  })
  .meta({ id: 'ServerMetrics' });
export type ServerMetrics = z.output<typeof serverMetricsSchema>;

export const serverStates = ['pending', 'connected', 'unreachable', 'revoked'] as const;

export const serverSchema = z
  .object({
    name: z.string(),
    workspace: z.string().nullable().meta({ description: "the workspace it is dedicated to (only its environments run there); null: the instance's" }),
    state: z.enum(serverStates).meta({ description: 'pending: no agent joined yet; connected: its agent holds a session; unreachable: joined, no session now; revoked: refused for good' }),
    labels: z.record(z.string(), z.string()),
    createdAt: timestamp,
    enrolledAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
    lastHeartbeatAt: timestamp.nullable(),
    agentVersion: z.string().nullable(),
    hostname: z.string().nullable(),
    advertiseAddress: z.string().nullable(),
    certificateExpiresAt: timestamp.nullable().meta({ description: "the agent's current certificate's expiry (renewed by the agent before it)" }),
    metrics: serverMetricsSchema.nullable(),
    placed: z.array(z.string()).optional().meta({ description: 'what is placed on it: WORKSPACE/PROJECT/ENV (also as one of several servers) and provisioned services (server show only)' }),
  })
  .meta({ id: 'Server' });
export type ServerInfo = z.output<typeof serverSchema>;

export const serverListSchema = z.object({ servers: z.array(serverSchema) });
export type ServerList = z.output<typeof serverListSchema>;

export const serverParam = z.object({ server: nameSchema('server') });

const labelKey = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/;
export const labelsSchema = z
  .record(z.string().regex(labelKey, 'a label key is 1-63 lowercase letters, digits, ".", "_", "/", "-"'), z.string().max(128).regex(/^[A-Za-z0-9._-]*$/, 'a label value is up to 128 letters, digits, ".", "_", "-"'))
  .refine((l) => Object.keys(l).length <= 32, 'at most 32 labels');

export const tokenTtl = z.number().int().min(60).max(86_400).default(1800).meta({ description: 'seconds the join token is valid (60-86400, default 1800)' });

export const createServerBody = z.strictObject({
  name: nameSchema('server'),
  workspace: nameSchema('workspace').optional().meta({ description: "dedicate it to this workspace (its owners manage it; only its environments run there); absent: the instance's (instance admins)" }),
  labels: labelsSchema.default({}),
  tokenTtlSeconds: tokenTtl,
});
export type CreateServerBody = z.input<typeof createServerBody>;

export const joinTokenBody = z.strictObject({ tokenTtlSeconds: tokenTtl });

export const joinTokenSchema = z
  .object({
    server: serverSchema,
    joinToken: z.string().meta({ description: 'single-use; carries the gateway URL and the CA pin; shown only here' }),
    expiresAt: timestamp,
    joinCommand: z.string().meta({ description: 'the command to run on the server' }),
  })
  .meta({ id: 'ServerJoinToken' });
export type JoinTokenInfo = z.output<typeof joinTokenSchema>;

export const serverMetricsHistorySchema = z
  .object({
    server: z.string(),
    samples: z.array(z.object({ at: timestamp, metrics: serverMetricsSchema })).meta({ description: "the agent's heartbeats of the last hour, oldest first (kept in memory: empty after a control-plane restart until the agent beats again)" }),
  })
  .meta({ id: 'ServerMetricsHistory' });
export type ServerMetricsHistory = z.output<typeof serverMetricsHistorySchema>;
