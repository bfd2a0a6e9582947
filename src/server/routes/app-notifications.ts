/** Routes: an application's settings (notify URL and secret, continuous options), its notifications, and its upstream hook. */
import type { FastifyRequest } from 'fastify';
import { appHookAnswerSchema, appHookStatusSchema, notificationListQuery, notificationListSchema, putAppHookBody, updateApplicationAnswerSchema, updateApplicationBody } from '../../api/app-notifications.js';
import { applicationParam } from '../../api/applications.js';
import { deletedSchema } from '../../api/common.js';
import { assertCan } from '../../core/roles.js';
import { deleteAppHook, ensureAppHook, findAppHook, toAppHookInfo } from '../../apps/app-hooks.js';
import { describeApplication, findApplication } from '../../apps/applications.js';
import { listNotifications } from '../../apps/notifications.js';
import { applyAppChanges } from '../../apps/app-changes.js';
import { continuousChange, nextContinuous } from '../../apps/continuous-settings.js';
import { notifyChange, notifyEgressUse } from '../../apps/notify-settings.js';
import { EgressPolicy } from '../../registry/client/index.js';
import { defineRoute } from '../http/route.js';
import type { ServerDeps } from '../deps.js';

const base = '/api/v1/workspaces/{workspace}/applications/{application}';

/** The hook's URL as the caller reached this server. */
function urlOf(request: FastifyRequest, path: string): string {
  return `${request.protocol}://${request.host}${path}`;
}

let strictNotify: EgressPolicy | undefined;

/** The outgoing webhooks' egress policy (the server's --allow-webhook-host; absent: nothing internal). */
function notifyEgress(deps: ServerDeps): EgressPolicy {
  if (deps.apps) return deps.apps.notifyEgress;
  strictNotify ??= new EgressPolicy([], notifyEgressUse);
  return strictNotify;
}

export const appNotificationRoutes = [
  defineRoute({
    method: 'PATCH',
    path: base,
    operationId: 'updateApplication',
    summary: "Change an application: its notify URL (outgoing webhook) and signing secret (a secret Slipway makes is in the answer this once), and how its automatic upgrades move",
    tag: 'applications',
    scope: 'workspace',
    permission: 'project.write',
    params: applicationParam,
    body: updateApplicationBody,
    response: updateApplicationAnswerSchema,
    handler: async ({ deps, access, params, body }) => {
      const app = await findApplication(deps.db, access, params.application);
      // Automatic upgrades move sites like a herd upgrade does: their options are an admin's to set.
      if (body.continuous !== undefined) assertCan(access.role, 'promotion.approve');
      // Everything is checked before anything is stored, then stored in one transaction: all or nothing.
      const continuous = body.continuous === undefined ? null : continuousChange(app, nextContinuous(app, body.continuous));
      const notify = await notifyChange(deps.keyring, notifyEgress(deps), app, body);
      const next = await applyAppChanges(deps.db, access, app, [notify.change, continuous]);
      return { application: await describeApplication(deps.db, access, next), notifySecret: notify.secret };
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${base}/notifications`,
    operationId: 'listApplicationNotifications',
    summary: 'Its notifications (new versions, upgrades, approvals), newest first, each with the state of its outgoing webhook',
    tag: 'applications',
    scope: 'workspace',
    permission: 'project.read',
    params: applicationParam,
    query: notificationListQuery,
    response: notificationListSchema,
    handler: async ({ deps, access, params, query }) => {
      const app = await findApplication(deps.db, access, params.application);
      return { application: app.name, notifyUrl: app.notify_url, notifications: await listNotifications(deps.db, app, query.limit ?? 100) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${base}/hook`,
    operationId: 'getApplicationHook',
    summary: "The upstream application's hook (never its secret) and its URL",
    tag: 'applications',
    scope: 'workspace',
    permission: 'project.read',
    params: applicationParam,
    response: appHookStatusSchema,
    handler: async ({ deps, access, params, request }) => {
      const app = await findApplication(deps.db, access, params.application);
      const row = await findAppHook(deps.db, app.id);
      const hook = row ? toAppHookInfo(app.name, row) : null;
      return { hook, url: hook ? urlOf(request, hook.path) : null };
    },
  }),
  defineRoute({
    method: 'PUT',
    path: `${base}/hook`,
    operationId: 'putApplicationHook',
    summary: "Creates the upstream application's hook (the URL its registry calls when a tag is pushed), or shows it; the secret is in the answer only when created or rotated",
    tag: 'applications',
    scope: 'workspace',
    permission: 'project.write',
    params: applicationParam,
    body: putAppHookBody,
    response: appHookAnswerSchema,
    handler: async ({ deps, access, params, body, request, reply }) => {
      const app = await findApplication(deps.db, access, params.application);
      const r = await ensureAppHook(deps.db, deps.keyring, access, app, body);
      if (r.created) void reply.code(201);
      return { ...r, url: urlOf(request, r.hook.path) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: `${base}/hook`,
    operationId: 'deleteApplicationHook',
    summary: "Deletes the application's upstream hook (its URL answers 404 from then on; polling goes on)",
    tag: 'applications',
    scope: 'workspace',
    permission: 'project.write',
    params: applicationParam,
    response: deletedSchema,
    handler: async ({ deps, access, params }) => deleteAppHook(deps.db, access, await findApplication(deps.db, access, params.application)),
  }),
];
