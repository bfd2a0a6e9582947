/** API shapes: secrets, write-only (names, versions and timestamps out; values only in). */
import { z } from 'zod';
import { assertValue, maxSecretBytes } from '../core/config.js';
import { coreIssue, deploymentRef, keySchema, timestamp } from './common.js';
import { requiresApprovalIn } from './config.js';

export const secretSchema = z
  .object({ name: z.string(), version: z.number().int(), layer: z.enum(['base', 'environment']), updatedAt: timestamp, updatedBy: z.string().nullable() })
  .meta({ id: 'SecretInfo', description: 'a secret without its value' });
export type SecretInfo = z.output<typeof secretSchema>;

export const secretListSchema = z.object({ secrets: z.array(secretSchema), requiresApprovalIn });
export type SecretList = z.output<typeof secretListSchema>;

export const secretNameParam = z.object({ name: keySchema('secret') });

export const secretValueBody = z.strictObject({
  value: z
    .string()
    .max(maxSecretBytes)
    // Its own rule (no NUL or control characters) answers before the generic NUL refusal.
    .superRefine((value, ctx) => coreIssue(ctx, () => assertValue('secret', undefined, value)))
    .meta({ description: 'the secret value; never returned' }),
});
export type SecretValueBody = z.input<typeof secretValueBody>;

/** An environment's secret also says which release it rolled. */
export const environmentSecretSetSchema = secretSchema.extend({ deployment: deploymentRef });
export type EnvironmentSecretSet = z.output<typeof environmentSecretSetSchema>;

export const secretUnsetSchema = z.object({ name: z.string(), version: z.number().int() });
export type SecretUnset = z.output<typeof secretUnsetSchema>;
