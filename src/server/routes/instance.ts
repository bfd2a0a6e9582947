/** Routes: instance tokens (instance admins, with an instance token): list, create or rotate, revoke. */
import { z } from 'zod';
import { createInstanceToken, listInstanceTokens, revokeInstanceToken } from '../../tenancy/instance-tokens.js';
import { defineRoute } from '../http/route.js';
import { timestamp } from '../http/schemas.js';

const instanceTokenSchema = z
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

export const instanceRoutes = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/instance/tokens',
    operationId: 'listInstanceTokens',
    summary: 'Instance tokens (no workspace scope), never their values; instance admins only',
    tag: 'instance',
    scope: 'principal',
    response: z.object({ tokens: z.array(instanceTokenSchema) }),
    handler: async ({ deps, principal }) => ({ tokens: await listInstanceTokens(deps.db, principal) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/instance/tokens',
    operationId: 'createInstanceToken',
    summary: 'Create an instance token acting as you, optionally revoking another in the same step (rotation); its value is in this response only',
    tag: 'instance',
    scope: 'principal',
    status: 201,
    body: z.strictObject({
      name: z.string().min(1).max(100).default('instance admin token'),
      expiresAt: z.iso.datetime({ offset: true }).optional(),
      replaces: z.string().min(1).max(100).optional().meta({ description: "an instance token to revoke at the same time: its id, or 'current' for the calling token" }),
    }),
    response: instanceTokenSchema.extend({ token: z.string().meta({ description: 'the token; shown once, store it now' }), replaced: z.string().nullable() }),
    handler: async ({ deps, principal, body }) => createInstanceToken(deps.db, principal, { name: body.name, expiresAt: body.expiresAt ? new Date(body.expiresAt).toISOString() : undefined, replaces: body.replaces }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/instance/tokens/{token}',
    operationId: 'revokeInstanceToken',
    summary: "Revoke an instance token (the first admin's too; `slipway admin token` makes a new one offline)",
    tag: 'instance',
    scope: 'principal',
    params: z.object({ token: z.string().min(1).max(100) }),
    response: instanceTokenSchema,
    handler: async ({ deps, principal, params }) => revokeInstanceToken(deps.db, principal, params.token),
  }),
];
