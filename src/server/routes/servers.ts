/** Routes: servers joined by agents (instance admins): add (a join token shown once), list, show, new token, revoke, remove. */
import { deletedSchema } from '../../api/common.js';
import { createServerBody, joinTokenBody, joinTokenSchema, serverListSchema, serverMetricsHistorySchema, serverParam, serverSchema } from '../../api/servers.js';
import { SlipwayError } from '../../core/errors.js';
import { addServer, listServers, newJoinToken, removeServer, revokeServer, rotateServerKey, serverMetricsHistory, showServer, type FleetContext } from '../../fleet/servers.js';
import type { ServerDeps } from '../deps.js';
import { defineRoute } from '../http/route.js';

function fleet(deps: ServerDeps): FleetContext {
  if (!deps.fleet) throw new SlipwayError('SLW_SERVER_CONFIG', 'this control plane runs without servers support');
  return deps.fleet;
}

export const serverRoutes = [
  defineRoute({
    method: 'GET',
    path: '/api/v1/servers',
    operationId: 'listServers',
    summary: 'Servers, their state, last heartbeat, agent version and last metrics; instance admins only',
    tag: 'servers',
    scope: 'principal',
    response: serverListSchema,
    handler: async ({ deps, principal }) => ({ servers: await listServers(fleet(deps), principal) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/servers',
    operationId: 'addServer',
    summary: 'Add a server: answers a single-use, expiring join token (shown only here) for its agent',
    tag: 'servers',
    scope: 'principal',
    status: 201,
    body: createServerBody,
    response: joinTokenSchema,
    handler: async ({ deps, principal, body }) => addServer(fleet(deps), principal, body),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/servers/{server}',
    operationId: 'getServer',
    summary: 'A server',
    tag: 'servers',
    scope: 'principal',
    params: serverParam,
    response: serverSchema,
    handler: async ({ deps, principal, params }) => showServer(fleet(deps), principal, params.server),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/servers/{server}/metrics',
    operationId: 'getServerMetrics',
    summary: "The server's CPU, memory, disk and containers at each heartbeat of the last hour",
    tag: 'servers',
    scope: 'principal',
    params: serverParam,
    response: serverMetricsHistorySchema,
    handler: async ({ deps, principal, params }) => serverMetricsHistory(fleet(deps), principal, params.server),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/servers/{server}/token',
    operationId: 'newServerJoinToken',
    summary: 'A new join token for a server whose agent has not joined yet',
    tag: 'servers',
    scope: 'principal',
    status: 201,
    params: serverParam,
    body: joinTokenBody,
    response: joinTokenSchema,
    handler: async ({ deps, principal, params, body }) => newJoinToken(fleet(deps), principal, params.server, body.tokenTtlSeconds),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/servers/{server}/rotate',
    operationId: 'rotateServerKey',
    summary: "Ask a connected server's agent for a new key and certificate now (it renews over its session; nothing drops)",
    tag: 'servers',
    scope: 'principal',
    status: 202,
    params: serverParam,
    response: serverSchema,
    handler: async ({ deps, principal, params }) => rotateServerKey(fleet(deps), principal, params.server),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/servers/{server}/revoke',
    operationId: 'revokeServer',
    summary: "Revoke a server for good: its agent's session drops now and every later handshake is refused",
    tag: 'servers',
    scope: 'principal',
    params: serverParam,
    response: serverSchema,
    handler: async ({ deps, principal, params }) => revokeServer(fleet(deps), principal, params.server),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/v1/servers/{server}',
    operationId: 'removeServer',
    summary: 'Remove a server nothing is placed on',
    tag: 'servers',
    scope: 'principal',
    params: serverParam,
    response: deletedSchema,
    handler: async ({ deps, principal, params }) => removeServer(fleet(deps), principal, params.server),
  }),
];
