/** Routes: members and API tokens of a workspace. */
import { z } from 'zod';
import { roles } from '../../core/roles.js';
import { addMember, listMembers, removeMember, setMemberRole } from '../../tenancy/members.js';
import { createToken, listTokens, revokeToken } from '../../tenancy/tokens.js';
import { defineRoute } from '../http/route.js';
import { roleSchema, timestamp } from '../http/schemas.js';

const memberSchema = z.object({ userId: z.string(), email: z.string(), name: z.string().meta({ description: "the display name this workspace gave the member" }), role: z.enum(roles), since: timestamp }).meta({ id: 'Member' });
const addedMemberSchema = memberSchema.omit({ userId: true }).meta({ id: 'AddedMember', description: 'what was sent plus the membership: the same whether or not the person already had an account' });
const tokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    hint: z.string().meta({ description: 'the first characters of the token, to recognise it' }),
    role: z.enum(roles),
    user: z.object({ id: z.string(), email: z.string() }),
    createdAt: timestamp,
    expiresAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
    lastUsedAt: timestamp.nullable(),
  })
  .meta({ id: 'Token' });
const memberParam = z.object({ member: z.string().min(1).max(320).meta({ description: 'user id or e-mail' }) });

export const memberRoutes = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/workspaces/{workspace}/members',
    operationId: 'listMembers',
    summary: 'Members and their roles',
    tag: 'members',
    scope: 'workspace',
    permission: 'member.read',
    response: z.object({ members: z.array(memberSchema) }),
    handler: async ({ deps, access }) => ({ members: await listMembers(deps.db, access) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/workspaces/{workspace}/members',
    operationId: 'addMember',
    summary: 'Add a person by e-mail with a role (not above your own)',
    tag: 'members',
    scope: 'workspace',
    permission: 'member.manage',
    status: 201,
    body: z.strictObject({ email: z.email().max(320), role: roleSchema, name: z.string().min(1).max(200).optional().meta({ description: "display name in this workspace (default: the e-mail's local part)" }) }),
    response: addedMemberSchema,
    handler: async ({ deps, access, body }) => addMember(deps.db, access, body),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/v1/workspaces/{workspace}/members/{member}',
    operationId: 'setMemberRole',
    summary: "Change a member's role",
    tag: 'members',
    scope: 'workspace',
    permission: 'member.manage',
    params: memberParam,
    body: z.strictObject({ role: roleSchema }),
    response: memberSchema,
    handler: async ({ deps, access, params, body }) => setMemberRole(deps.db, access, params.member, body.role),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/workspaces/{workspace}/members/{member}',
    operationId: 'removeMember',
    summary: 'Remove a member and revoke their tokens for this workspace',
    tag: 'members',
    scope: 'workspace',
    permission: 'member.manage',
    params: memberParam,
    response: z.object({ email: z.string(), tokensRevoked: z.number().int() }),
    handler: async ({ deps, access, params }) => removeMember(deps.db, access, params.member),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/workspaces/{workspace}/tokens',
    operationId: 'listTokens',
    summary: "The workspace's API tokens (never their values)",
    tag: 'tokens',
    scope: 'workspace',
    permission: 'token.manage',
    response: z.object({ tokens: z.array(tokenSchema) }),
    handler: async ({ deps, access }) => ({ tokens: await listTokens(deps.db, access) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/workspaces/{workspace}/tokens',
    operationId: 'createToken',
    summary: 'Create a workspace API token acting as you; its value is in this response only',
    tag: 'tokens',
    scope: 'workspace',
    permission: 'token.manage',
    status: 201,
    body: z.strictObject({
      role: roleSchema,
      name: z.string().min(1).max(100).default('api token'),
      expiresAt: z.iso.datetime({ offset: true }).optional(),
      member: z.string().min(1).max(320).optional().meta({ description: 'user id or e-mail of the member the token acts as (default: you; another member: only an instance admin with an instance token, and only an owner for an owner)' }),
    }),
    response: tokenSchema.extend({ token: z.string().meta({ description: 'the token; shown once, store it now' }) }),
    handler: async ({ deps, access, body }) =>
      createToken(deps.db, access, { name: body.name, role: body.role, expiresAt: body.expiresAt ? new Date(body.expiresAt).toISOString() : undefined, memberEmail: body.member }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/workspaces/{workspace}/tokens/{token}',
    operationId: 'revokeToken',
    summary: "Revoke a token (an owner's token: owners only)",
    tag: 'tokens',
    scope: 'workspace',
    permission: 'token.manage',
    params: z.object({ token: z.string().min(1).max(100) }),
    response: tokenSchema,
    handler: async ({ deps, access, params }) => revokeToken(deps.db, access, params.token),
  }),
];
