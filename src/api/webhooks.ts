/** API shapes: a project's webhook, its deliveries, and the environments branches and requests made. */
import { z } from 'zod';
import { timestamp } from './common.js';

const providers = ['github', 'gitlab', 'gitea'] as const;
const branch = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\s~^:?[\\\x00-\x1f\x7f]+$/, 'a git branch name (no spaces, ~ ^ : ? [ \\ or control characters)');

export const hookSchema = z
  .object({
    id: z.string(),
    project: z.string(),
    provider: z.enum(providers),
    path: z.string(),
    createdAt: timestamp,
    rotatedAt: timestamp.nullable(),
    source: z.enum(['build', 'image']),
    defaultBranch: z.string().nullable(),
    branchEnvs: z.array(z.string()),
    previews: z.boolean(),
    previewTtlSeconds: z.number().int(),
    failedVerifications: z.number().int(),
    lastFailedAt: timestamp.nullable(),
  })
  .meta({ id: 'Hook' });
export type Hook = z.output<typeof hookSchema>;

export const followingEnvironmentSchema = z
  .object({ name: z.string(), kind: z.enum(['branch', 'preview']), ref: z.string(), headRef: z.string().nullable(), sha: z.string().nullable(), updatedAt: timestamp, expiresAt: timestamp.nullable() })
  .meta({ id: 'FollowingEnvironment' });
export type FollowingEnvironment = z.output<typeof followingEnvironmentSchema>;

/** `GET …/hook`: the hook (null: none yet), its URL on this server, and the environments it made. */
export const hookStatusSchema = z.object({ hook: hookSchema.nullable(), url: z.string().nullable(), environments: z.array(followingEnvironmentSchema) });
export type HookStatus = z.output<typeof hookStatusSchema>;

/** `PUT …/hook`: the secret only when it was just made (created or rotated). */
export const hookAnswerSchema = z.object({ hook: hookSchema, url: z.string(), secret: z.string().nullable(), created: z.boolean() });
export type HookAnswer = z.output<typeof hookAnswerSchema>;

export const putHookBody = z.strictObject({
  provider: z.enum(providers),
  rotate: z.boolean().optional(),
  source: z.enum(['build', 'image']).optional(),
  defaultBranch: branch.optional(),
  branchEnvs: z.array(branch).max(50).optional(),
  previews: z.boolean().optional(),
  previewTtlSeconds: z
    .number()
    .int()
    .min(60)
    .max(90 * 86400)
    .optional(),
});
export type PutHookBody = z.input<typeof putHookBody>;

export const deliverySchema = z
  .object({
    id: z.string(),
    deliveryId: z.string(),
    event: z.string().nullable(),
    action: z.string().nullable(),
    ref: z.string().nullable(),
    sha: z.string().nullable(),
    status: z.string(),
    message: z.string().nullable(),
    verification: z.string(),
    receivedAt: timestamp,
    updatedAt: timestamp,
    attempts: z.number().int(),
    duplicates: z.number().int(),
    size: z.number().int(),
  })
  .meta({ id: 'Delivery' });
export type Delivery = z.output<typeof deliverySchema>;

export const deliveryListSchema = z.object({ deliveries: z.array(deliverySchema) });
export type DeliveryList = z.output<typeof deliveryListSchema>;

export const deliveryListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).optional() });
export const deliveryParam = z.strictObject({ delivery: z.string().min(1).max(64) });
