/** Routes: secrets, write-only (names, versions and timestamps out; values only in). */
import { restartQuery } from '../../api/common.js';
import { environmentSecretSetSchema, secretListSchema, secretNameParam, secretSchema, secretUnsetSchema, secretValueBody } from '../../api/secrets.js';
import { listResolvedSecrets, listSecrets, setSecret, unsetSecret } from '../../secrets/secrets.js';
import { defineRoute } from '../http/route.js';
import { approvalEnvironmentsOf } from '../../deploy/protected-config.js';
import { restartAfterChange } from '../../deploy/restart.js';
import { actorOf } from '../../tenancy/principal.js';

const project = '/api/v1/workspaces/{workspace}/projects/{project}';
const environment = `${project}/environments/{environment}`;

export const secretRoutes = [
  defineRoute({
    method: 'GET',
    path: `${project}/secrets`,
    operationId: 'listBaseSecrets',
    summary: "The project's base secrets (names and versions only)",
    tag: 'secrets',
    scope: 'project',
    permission: 'project.read',
    response: secretListSchema,
    handler: async ({ deps, access }) => ({ secrets: await listSecrets(deps.db, access), requiresApprovalIn: await approvalEnvironmentsOf(deps.db, access) }),
  }),
  defineRoute({
    method: 'PUT',
    path: `${project}/secrets/{name}`,
    operationId: 'setBaseSecret',
    summary: 'Set a base secret (a new version)',
    tag: 'secrets',
    scope: 'project',
    permission: 'secret.write',
    protectedRole: 'admin',
    params: secretNameParam,
    body: secretValueBody,
    response: secretSchema,
    handler: async ({ deps, access, params, body }) => setSecret(deps.db, deps.keyring, access, params.name, body.value),
  }),
  defineRoute({
    method: 'DELETE',
    path: `${project}/secrets/{name}`,
    operationId: 'unsetBaseSecret',
    summary: 'Delete a base secret (older versions stay for rollback)',
    tag: 'secrets',
    scope: 'project',
    permission: 'secret.write',
    protectedRole: 'admin',
    params: secretNameParam,
    response: secretUnsetSchema,
    handler: async ({ deps, access, params }) => unsetSecret(deps.db, access, params.name),
  }),
  defineRoute({
    method: 'GET',
    path: `${environment}/secrets`,
    operationId: 'listEnvironmentSecrets',
    summary: 'The secrets an environment sees, each with its layer (names and versions only)',
    tag: 'secrets',
    scope: 'environment',
    permission: 'project.read',
    response: secretListSchema,
    handler: async ({ deps, access }) => ({ secrets: await listResolvedSecrets(deps.db, access), requiresApprovalIn: await approvalEnvironmentsOf(deps.db, access) }),
  }),
  defineRoute({
    method: 'PUT',
    path: `${environment}/secrets/{name}`,
    operationId: 'setEnvironmentSecret',
    summary: 'Set an environment secret (a new version)',
    tag: 'secrets',
    scope: 'environment',
    permission: 'secret.write',
    protectedRole: 'admin',
    params: secretNameParam,
    query: restartQuery,
    body: secretValueBody,
    response: environmentSecretSetSchema,
    handler: async ({ deps, access, params, body, query }) => {
      const secret = await setSecret(deps.db, deps.keyring, access, params.name, body.value);
      const deployment = query.restart === 'true' ? await restartAfterChange(deps.db, access, 'secret-change', actorOf(access.principal), deps.deploy.enqueue) : null;
      return { ...secret, deployment: deployment ? { id: deployment.id, releaseNumber: deployment.releaseNumber } : null };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: `${environment}/secrets/{name}`,
    operationId: 'unsetEnvironmentSecret',
    summary: 'Delete an environment secret (older versions stay for rollback)',
    tag: 'secrets',
    scope: 'environment',
    permission: 'secret.write',
    protectedRole: 'admin',
    params: secretNameParam,
    response: secretUnsetSchema,
    handler: async ({ deps, access, params }) => unsetSecret(deps.db, access, params.name),
  }),
];
