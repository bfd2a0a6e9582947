/** API shapes: config layers (project base and per environment) and their history. */
import { z } from 'zod';
import { assertValue, configLimits } from '../core/config.js';
import { coreIssue, deploymentRef, keySchema, maxStoredInt, timestamp } from './common.js';

export const configEntrySchema = z.object({ key: z.string(), value: z.string(), layer: z.enum(['base', 'environment']) });
export type ConfigEntry = z.output<typeof configEntrySchema>;

/** The environments requiring approval a layer feeds: while there is one, only admins and owners change the layer. */
export const requiresApprovalIn = z
  .array(z.string())
  .meta({ description: 'environments that require approval and get their variables from this layer (the environment itself, or for the base layer every one of the project): while there is one, only admins and owners change the layer (docs/security.md)' });

export const resolvedConfigSchema = z
  .object({ version: z.number().int().meta({ description: 'newest config version this view includes (0: none)' }), entries: z.array(configEntrySchema), requiresApprovalIn })
  .meta({ id: 'ResolvedConfig' });
export type ResolvedConfig = z.output<typeof resolvedConfigSchema>;

export const configChangeBody = z
  .strictObject({
    set: z.record(keySchema('config'), z.string().max(configLimits.valueBytes)).default({}),
    unset: z.array(keySchema('config')).max(configLimits.keysPerLayer).default([]),
  })
  // A value's own rule (no NUL or control characters) answers before the generic NUL refusal.
  .superRefine((body, ctx) => {
    for (const [key, value] of Object.entries(body.set)) coreIssue(ctx, () => assertValue('config', key, value));
  })
  .meta({ description: 'keys to set and keys to remove in one layer' });
export type ConfigChangeBody = z.input<typeof configChangeBody>;

export const configChangedSchema = z.object({ version: z.number().int(), changed: z.boolean(), keys: z.array(z.string()) });
export type ConfigChanged = z.output<typeof configChangedSchema>;

/** An environment's change also says which release it rolled. */
export const environmentConfigChangedSchema = configChangedSchema.extend({ deployment: deploymentRef });
export type EnvironmentConfigChanged = z.output<typeof environmentConfigChangedSchema>;

export const configHistorySchema = z.object({
  versions: z.array(
    z.object({ version: z.number().int(), layer: z.enum(['base', 'environment']), at: timestamp, by: z.string().nullable(), added: z.array(z.string()), changed: z.array(z.string()), removed: z.array(z.string()) }),
  ),
  next: z.number().int().nullable().meta({ description: 'pass as `before` for the next (older) page; null: no older version' }),
});
export type ConfigHistory = z.output<typeof configHistorySchema>;

export const configHistoryQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().min(1).max(maxStoredInt).optional().meta({ description: 'only versions older than this one (the `next` of the previous page)' }),
});

export const configVersionQuery = z.strictObject({ version: z.coerce.number().int().min(0).max(maxStoredInt).optional().meta({ description: 'resolve as of this config version' }) });
