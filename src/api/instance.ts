/** API shapes: instance tokens. */
import { z } from 'zod';
import { timestamp } from './common.js';

export const instanceTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    hint: z.string().meta({ description: 'the first characters of the token, to recognise it' }),
    user: z.object({ id: z.string(), email: z.string() }),
    createdAt: timestamp,
    expiresAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
    lastUsedAt: timestamp.nullable(),
  })
  .meta({ id: 'InstanceToken' });
export type InstanceToken = z.output<typeof instanceTokenSchema>;

export const instanceTokenListSchema = z.object({ tokens: z.array(instanceTokenSchema) });
export type InstanceTokenList = z.output<typeof instanceTokenListSchema>;

export const createInstanceTokenBody = z.strictObject({
  name: z.string().min(1).max(100).default('instance admin token'),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  replaces: z.string().min(1).max(100).optional().meta({ description: "an instance token to revoke at the same time: its id, or 'current' for the calling token" }),
});
export type CreateInstanceTokenBody = z.input<typeof createInstanceTokenBody>;

export const createdInstanceTokenSchema = instanceTokenSchema.extend({ token: z.string().meta({ description: 'the token; shown once, store it now' }), replaced: z.string().nullable() });
export type CreatedInstanceToken = z.output<typeof createdInstanceTokenSchema>;

export const instanceTokenParam = z.object({ token: z.string().min(1).max(100) });
