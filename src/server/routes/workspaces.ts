/** Routes: who am I, workspaces. */
import { createWorkspaceBody, updateWorkspaceBody, whoamiSchema, workspaceListSchema, workspaceSchema, workspaceUpdatedSchema } from '../../api/workspaces.js';
import { changeTier, createWorkspace, listWorkspaces } from '../../tenancy/workspaces.js';
import { defineRoute } from '../http/route.js';

export const workspaceRoutes = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/whoami',
    operationId: 'whoami',
    summary: 'The calling token, its user and scope',
    tag: 'workspaces',
    scope: 'principal',
    response: whoamiSchema,
    handler: async ({ principal: p }) => ({
      user: { id: p.userId, email: p.email, instanceAdmin: p.instanceAdmin },
      token: { id: p.tokenId, scope: p.scope ? ('workspace' as const) : ('instance' as const), role: p.scope?.role ?? null },
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/workspaces',
    operationId: 'listWorkspaces',
    summary: 'Workspaces the token can reach',
    tag: 'workspaces',
    scope: 'principal',
    response: workspaceListSchema,
    handler: async ({ deps, principal }) => ({ workspaces: await listWorkspaces(deps.db, principal) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/workspaces',
    operationId: 'createWorkspace',
    summary: 'Create a workspace (instance admin token only); the caller becomes its owner',
    tag: 'workspaces',
    scope: 'principal',
    status: 201,
    body: createWorkspaceBody,
    response: workspaceSchema,
    handler: async ({ deps, principal, body }) => createWorkspace(deps.db, principal, body),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/workspaces/{workspace}',
    operationId: 'getWorkspace',
    summary: 'One workspace',
    tag: 'workspaces',
    scope: 'workspace',
    permission: 'workspace.read',
    response: workspaceSchema,
    handler: async ({ access }) => ({ ...access.workspace, role: access.role }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/v1/workspaces/{workspace}',
    operationId: 'updateWorkspace',
    summary: "Change a workspace's tier; projects gain the new tier's default environments, none is removed",
    tag: 'workspaces',
    scope: 'workspace',
    permission: 'workspace.update',
    body: updateWorkspaceBody,
    response: workspaceUpdatedSchema,
    handler: async ({ deps, access, body }) => changeTier(deps.db, access, body.tier),
  }),
];
