/** Routes: instance tokens (instance admins, with an instance token): list, create or rotate, revoke. */
import { createInstanceTokenBody, createdInstanceTokenSchema, instanceTokenListSchema, instanceTokenParam, instanceTokenSchema } from '../../api/instance.js';
import { createInstanceToken, listInstanceTokens, revokeInstanceToken } from '../../tenancy/instance-tokens.js';
import { defineRoute } from '../http/route.js';

export const instanceRoutes = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/instance/tokens',
    operationId: 'listInstanceTokens',
    summary: 'Instance tokens (no workspace scope), never their values; instance admins only',
    tag: 'instance',
    scope: 'principal',
    response: instanceTokenListSchema,
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
    body: createInstanceTokenBody,
    response: createdInstanceTokenSchema,
    handler: async ({ deps, principal, body }) => createInstanceToken(deps.db, principal, { name: body.name, expiresAt: body.expiresAt ? new Date(body.expiresAt).toISOString() : undefined, replaces: body.replaces }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/instance/tokens/{token}',
    operationId: 'revokeInstanceToken',
    summary: "Revoke an instance token (the first admin's too; `slipway admin token` makes a new one offline)",
    tag: 'instance',
    scope: 'principal',
    params: instanceTokenParam,
    response: instanceTokenSchema,
    handler: async ({ deps, principal, params }) => revokeInstanceToken(deps.db, principal, params.token),
  }),
];
