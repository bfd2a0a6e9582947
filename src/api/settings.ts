/** API shapes: an environment's runtime settings (domain, port, replicas, strategy, health, limits, approval, target). */
import { z } from 'zod';
import { healthTypes, maxReplicas, strategies } from '../core/deploy.js';
import { maxVolumes } from '../core/volumes.js';
import { certificateStateSchema } from './agent-protocol.js';
import { deploymentSchema } from './deploy.js';

export const healthGateSchema = z
  .object({
    bakeSeconds: z.number().meta({ description: 'seconds the new release is watched after its traffic switch (5–3600)' }),
    maxErrorRate: z.number().meta({ description: 'largest tolerated share of failed requests (5xx, refused, timed out), 0 to below 1' }),
    path: z.string().max(1024).meta({ description: 'path probed through the edge on the environment’s domain' }),
  })
  .meta({ id: 'HealthGate' });

export const environmentVolumeSchema = z
  .object({
    name: z.string().meta({ description: 'the volume’s name in the environment (a-z, 0-9, -)' }),
    path: z.string().meta({ description: 'where it is mounted in every replica' }),
    generation: z.number().int().meta({ description: 'which Docker volume holds its data: 0 the first, N after the Nth restore from a backup (slipway volume restore)' }),
    volume: z.string().meta({ description: 'the Docker volume Slipway made for it on the target (slw-ENVIRONMENT_ID-NAME, .gN after a restore)' }),
  })
  .meta({ id: 'EnvironmentVolume' });
export type EnvironmentVolumeInfo = z.output<typeof environmentVolumeSchema>;

export const settingsSchema = z
  .object({
    domain: z.string(),
    port: z.number().int(),
    replicas: z.number().int(),
    maxSurge: z.number().int(),
    strategy: z.enum(strategies),
    healthType: z.enum(healthTypes),
    healthPath: z.string(),
    healthTimeout: z.number().int(),
    memoryBytes: z.number().int().nullable(),
    nanoCpus: z.number().int().nullable(),
    requireApproval: z.boolean(),
    requirePromotionFrom: z.string().nullable().meta({ description: 'accept only images that ran successfully in this environment' }),
    target: z.string().meta({ description: 'where the environment runs (local: the server’s own Docker engine)' }),
    gatePipeline: z.string().nullable().meta({ description: 'pipeline gate: a pipeline that must pass against the candidate image before it deploys (docs/gates.md)' }),
    gateHealth: healthGateSchema.nullable().meta({ description: 'health gate: watched after the switch for its bake time; rolled back automatically when it fails (docs/gates.md)' }),
    volumes: z.array(environmentVolumeSchema).meta({ description: 'named volumes mounted into every replica; a change applies at the next release (docs/deploy.md#volumes)' }),
  })
  .meta({ id: 'EnvironmentSettings' });
export type EnvironmentSettings = z.output<typeof settingsSchema>;

export const settingsChangeBody = z.strictObject({
  domain: z.string().max(253).nullable().optional().meta({ examples: ['shop.example.localhost'] }),
  port: z.number().int().min(1).max(65_535).nullable().optional(),
  replicas: z.number().int().min(1).max(maxReplicas).nullable().optional(),
  maxSurge: z.number().int().min(1).max(maxReplicas).nullable().optional(),
  strategy: z.enum(strategies).nullable().optional(),
  healthType: z.enum(healthTypes).nullable().optional(),
  healthPath: z.string().nullable().optional(),
  healthTimeout: z.number().int().min(1).max(3600).nullable().optional(),
  memoryBytes: z.number().int().min(6 * 1024 * 1024).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  nanoCpus: z.number().int().min(1_000_000).max(256_000_000_000).nullable().optional(),
  requireApproval: z.boolean().nullable().optional().meta({ description: 'admins and owners only' }),
  requirePromotionFrom: z.string().min(1).max(63).nullable().optional().meta({ description: 'admins and owners only' }),
  gatePipeline: z.string().max(100).nullable().optional().meta({ description: 'admins and owners only; null removes the gate' }),
  gateHealth: healthGateSchema.nullable().optional().meta({ description: 'admins and owners only; null removes the gate' }),
  volumes: z
    .record(z.string().max(64), z.string().max(300).nullable())
    .refine((o) => Object.keys(o).length <= 4 * maxVolumes, `at most ${4 * maxVolumes} volume names in one change`)
    .nullable()
    .optional()
    .meta({ description: 'by name: a path adds the volume (or mounts it there), null removes it; null for the whole field removes every volume. The data of a removed volume stays on its target', examples: [{ data: '/var/lib/app', old: null }] }),
  copyVolumes: z.boolean().optional().meta({ description: "with a new target: each volume is backed up where it runs now and unpacked on the new target (a new generation) before the move's release, which mounts them; refused when nothing runs. Data written after the backup stays behind" }),
  stopFirst: z.boolean().optional().meta({ description: "with copyVolumes: the environment's replicas on the old target are stopped before the backups, so no write is left behind; it serves nothing from then until the move's release is live (a failed copy starts it again there)" }),
  target: z.string().min(1).max(1024).regex(/^(?:label:[a-z0-9._/-]{1,63}=[A-Za-z0-9._-]{0,128}|[a-z0-9-]{1,63}(?:,[a-z0-9-]{1,63}){0,31})$/, 'a target is local, a server name, servers NAME,NAME (up to 32), or label:KEY=VALUE').nullable().optional().meta({ description: 'local, a server, servers a,b (replicas spread across them), or label:KEY=VALUE (every joined server with that label)' }),
});
export type SettingsChangeBody = z.input<typeof settingsChangeBody>;

export const settingsChangedSchema = settingsSchema.extend({
  scaling: deploymentSchema.nullable().meta({ description: 'the deployment that scales the running release to the new replica count, if one started' }),
  moving: deploymentSchema.nullable().optional().meta({ description: 'the deployment that moves the running release to the new target, if one started (it leaves the old target once live there)' }),
  copiedVolumes: z
    .array(z.object({ volume: z.string(), backup: z.string(), size: z.number().int(), generation: z.number().int(), dockerVolume: z.string() }))
    .optional()
    .meta({ description: 'with copyVolumes: each volume carried to the new target — the backup taken on the old one, and the generation (Docker volume) it was unpacked into' }),
  stoppedFirst: z.number().int().optional().meta({ description: 'with stopFirst: how many workloads were stopped on the old target before the copy' }),
});
export type SettingsChanged = z.output<typeof settingsChangedSchema>;

/** The certificate of an environment's domain on the edge of a server it runs on. */
export const environmentCertificateSchema = certificateStateSchema
  .extend({
    server: z.string().meta({ description: 'the server whose edge serves the domain' }),
    state: certificateStateSchema.shape.state.meta({ description: 'valid; expired; pending: none issued yet; failed: none issued and the last attempt failed (see error)' }),
    source: certificateStateSchema.shape.source.meta({ description: 'acme: from the instance’s ACME directory; internal: the edge’s own CA (private names)' }),
  })
  .meta({ id: 'EnvironmentCertificate' });
export type EnvironmentCertificate = z.output<typeof environmentCertificateSchema>;

/** What `GET …/settings` answers: the settings, and the certificates of the domain where the environment runs on servers with HTTPS. */
const gateSource = z.enum(['environment', 'manifest', 'default', 'none']);
export const effectiveGatesSchema = z
  .object({
    requireApproval: z.boolean(),
    pipeline: z.string().nullable(),
    health: healthGateSchema.nullable(),
    source: z.object({ approval: gateSource, pipeline: gateSource, health: gateSource }).meta({ description: 'where each gate comes from: the environment’s own settings, the project manifest’s gates for this environment (where it sets none), the default, or none' }),
  })
  .meta({ id: 'EffectiveGates' });
export type EffectiveGates = z.output<typeof effectiveGatesSchema>;

export const settingsViewSchema = settingsSchema
  .extend({
    gates: effectiveGatesSchema.optional().meta({ description: 'the gates that apply, in order: approval, pipeline, health (docs/gates.md)' }),
    certificates: z.array(environmentCertificateSchema).meta({ description: 'as the servers’ agents last reported them; empty on the local target (HTTP only) and before the first report' }),
  })
  .meta({ id: 'EnvironmentSettingsView' });
export type EnvironmentSettingsView = z.output<typeof settingsViewSchema>;
