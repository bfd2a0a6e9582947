/** Routes: a project's webhook (create, show, rotate, delete), its deliveries and their replay. */
import type { FastifyRequest } from 'fastify';
import { deletedSchema } from '../../api/common.js';
import { deliveryListQuery, deliveryListSchema, deliveryParam, deliverySchema, hookAnswerSchema, hookStatusSchema, putHookBody } from '../../api/webhooks.js';
import { listDeliveries, replayDelivery } from '../../webhooks/deliveries.js';
import { listFollowing } from '../../webhooks/environments.js';
import { deleteHook, ensureHook, findHook, toHookInfo } from '../../webhooks/hooks.js';
import { defineRoute } from '../http/route.js';

const project = '/api/v1/workspaces/{workspace}/projects/{project}';

/** The hook's URL as the caller reached this server. */
function urlOf(request: FastifyRequest, path: string): string {
  return `${request.protocol}://${request.host}${path}`;
}

export const webhookRoutes = [
  defineRoute({
    method: 'GET',
    path: `${project}/hook`,
    operationId: 'getHook',
    summary: "The project's webhook (never its secret), its URL, and the branch and preview environments it made",
    tag: 'webhooks',
    scope: 'project',
    permission: 'project.read',
    response: hookStatusSchema,
    handler: async ({ deps, access, request }) => {
      const row = await findHook(deps.db, access.project.id);
      const hook = row ? toHookInfo(access.project.name, row) : null;
      return { hook, url: hook ? urlOf(request, hook.path) : null, environments: await listFollowing(deps.db, access.project.id) };
    },
  }),
  defineRoute({
    method: 'PUT',
    path: `${project}/hook`,
    operationId: 'putHook',
    summary: "Creates the project's webhook, or shows it and applies the settings given; the secret is in the answer only when created or rotated",
    tag: 'webhooks',
    scope: 'project',
    permission: 'project.write',
    body: putHookBody,
    response: hookAnswerSchema,
    handler: async ({ deps, access, body, request, reply }) => {
      const r = await ensureHook(deps.db, deps.keyring, access, body);
      if (r.created) void reply.code(201);
      return { ...r, url: urlOf(request, r.hook.path) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: `${project}/hook`,
    operationId: 'deleteHook',
    summary: "Deletes the project's webhook and its deliveries (its URL answers 404 from then on); environments it made stay",
    tag: 'webhooks',
    scope: 'project',
    permission: 'project.write',
    response: deletedSchema,
    handler: async ({ deps, access }) => deleteHook(deps.db, access),
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/deliveries`,
    operationId: 'listDeliveries',
    summary: "The webhook's deliveries, newest first (without their bodies)",
    tag: 'webhooks',
    scope: 'project',
    permission: 'project.read',
    query: deliveryListQuery,
    response: deliveryListSchema,
    handler: async ({ deps, access, query }) => ({ deliveries: await listDeliveries(deps.db, access, query.limit ?? 100) }),
  }),
  defineRoute({
    method: 'POST',
    path: `${project}/deliveries/{delivery}/replay`,
    operationId: 'replayDelivery',
    summary: 'Processes a delivery again from its stored body (a new attempt of the same delivery); developers may, as they may deploy',
    tag: 'webhooks',
    scope: 'project',
    permission: 'deploy.run',
    params: deliveryParam,
    status: 202,
    response: deliverySchema,
    handler: async ({ deps, access, params }) => {
      const d = await replayDelivery(deps.db, access, params.delivery);
      deps.webhooks?.poke();
      return d;
    },
  }),
];
