/** Routes: config layers (project base and per environment) and their history. */
import { restartQuery } from '../../api/common.js';
import { configChangeBody, configChangedSchema, configHistoryQuery, configHistorySchema, configVersionQuery, environmentConfigChangedSchema, resolvedConfigSchema } from '../../api/config.js';
import { changeConfig, configHistoryPage, readBaseConfig, resolveEnvironmentConfig } from '../../config/config.js';
import { defineRoute } from '../http/route.js';
import { approvalEnvironmentsOf } from '../../deploy/protected-config.js';
import { restartAfterChange } from '../../deploy/restart.js';
import { actorOf } from '../../tenancy/principal.js';

const project = '/api/v1/workspaces/{workspace}/projects/{project}';

export const configRoutes = [
  defineRoute({
    method: 'GET',
    path: `${project}/config`,
    operationId: 'getBaseConfig',
    summary: "The project's base config layer",
    tag: 'config',
    scope: 'project',
    permission: 'project.read',
    response: resolvedConfigSchema,
    handler: async ({ deps, access }) => ({ ...(await readBaseConfig(deps.db, access)), requiresApprovalIn: await approvalEnvironmentsOf(deps.db, access) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: `${project}/config`,
    operationId: 'changeBaseConfig',
    summary: 'Set and unset keys of the base layer; a real change makes a new config version',
    tag: 'config',
    scope: 'project',
    permission: 'config.write',
    protectedRole: 'admin',
    body: configChangeBody,
    response: configChangedSchema,
    handler: async ({ deps, access, body }) => changeConfig(deps.db, access, body),
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/config/history`,
    operationId: 'getBaseConfigHistory',
    summary: 'Versions of the base layer, newest first (keys only), a page at a time',
    tag: 'config',
    scope: 'project',
    permission: 'project.read',
    query: configHistoryQuery,
    response: configHistorySchema,
    handler: async ({ deps, access, query }) => configHistoryPage(deps.db, access, query.limit, query.before),
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/environments/{environment}/config`,
    operationId: 'getEnvironmentConfig',
    summary: "An environment's resolved config, each value with the layer it comes from",
    tag: 'config',
    scope: 'environment',
    permission: 'project.read',
    query: configVersionQuery,
    response: resolvedConfigSchema,
    handler: async ({ deps, access, query }) => ({ ...(await resolveEnvironmentConfig(deps.db, access, query.version)), requiresApprovalIn: await approvalEnvironmentsOf(deps.db, access) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: `${project}/environments/{environment}/config`,
    operationId: 'changeEnvironmentConfig',
    summary: "Set and unset keys of an environment's layer",
    tag: 'config',
    scope: 'environment',
    permission: 'config.write',
    protectedRole: 'admin',
    body: configChangeBody,
    query: restartQuery,
    response: environmentConfigChangedSchema,
    handler: async ({ deps, access, body, query }) => {
      const result = await changeConfig(deps.db, access, body);
      const deployment = result.changed && query.restart === 'true' ? await restartAfterChange(deps.db, access, 'config-change', actorOf(access.principal), deps.deploy.enqueue) : null;
      return { ...result, deployment: deployment ? { id: deployment.id, releaseNumber: deployment.releaseNumber } : null };
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/environments/{environment}/config/history`,
    operationId: 'getEnvironmentConfigHistory',
    summary: "Versions of the base and the environment's layer, newest first (keys only), a page at a time",
    tag: 'config',
    scope: 'environment',
    permission: 'project.read',
    query: configHistoryQuery,
    response: configHistorySchema,
    handler: async ({ deps, access, query }) => configHistoryPage(deps.db, access, query.limit, query.before),
  }),
];
