/** Routes: secrets, write-only (names, versions and timestamps out; values only in). */
import { z } from 'zod';
import { listResolvedSecrets, listSecrets, maxSecretBytes, setSecret, unsetSecret } from '../../secrets/secrets.js';
import { defineRoute } from '../http/route.js';
import { restartAfterChange } from '../../deploy/restart.js';
import { actorOf } from '../../tenancy/principal.js';
import { deploymentRef, restartQuery } from './config.js';
import { keySchema, timestamp } from '../http/schemas.js';

const secretSchema = z
  .object({ name: z.string(), version: z.number().int(), layer: z.enum(['base', 'environment']), updatedAt: timestamp, updatedBy: z.string().nullable() })
  .meta({ id: 'SecretInfo', description: 'a secret without its value' });
const nameParam = z.object({ name: keySchema('secret') });
const valueBody = z.strictObject({ value: z.string().max(maxSecretBytes).meta({ description: 'the secret value; never returned' }) });
const unsetResult = z.object({ name: z.string(), version: z.number().int() });

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
    response: z.object({ secrets: z.array(secretSchema) }),
    handler: async ({ deps, access }) => ({ secrets: await listSecrets(deps.db, access) }),
  }),
  defineRoute({
    method: 'PUT',
    path: `${project}/secrets/{name}`,
    operationId: 'setBaseSecret',
    summary: 'Set a base secret (a new version)',
    tag: 'secrets',
    scope: 'project',
    permission: 'secret.write',
    params: nameParam,
    body: valueBody,
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
    params: nameParam,
    response: unsetResult,
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
    response: z.object({ secrets: z.array(secretSchema) }),
    handler: async ({ deps, access }) => ({ secrets: await listResolvedSecrets(deps.db, access) }),
  }),
  defineRoute({
    method: 'PUT',
    path: `${environment}/secrets/{name}`,
    operationId: 'setEnvironmentSecret',
    summary: 'Set an environment secret (a new version)',
    tag: 'secrets',
    scope: 'environment',
    permission: 'secret.write',
    params: nameParam,
    query: restartQuery,
    body: valueBody,
    response: secretSchema.extend({ deployment: deploymentRef }),
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
    params: nameParam,
    response: unsetResult,
    handler: async ({ deps, access, params }) => unsetSecret(deps.db, access, params.name),
  }),
];
