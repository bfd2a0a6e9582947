/** Routes: credentials for other registries (write-only passwords). */
import { z } from 'zod';
import { listCredentials, removeCredential, setCredential } from '../../registry/credentials.js';
import { defineRoute } from '../http/route.js';
import { timestamp } from '../http/schemas.js';

const credentialSchema = z.object({ host: z.string(), username: z.string(), createdAt: timestamp, updatedAt: timestamp }).meta({ id: 'RegistryCredential', description: 'a registry credential without its password' });
const hostParam = z.object({ host: z.string().min(1).max(270) });
const base = '/api/v1/workspaces/{workspace}/registry-credentials';

export const credentialRoutes = [
  defineRoute({
    method: 'GET',
    path: base,
    operationId: 'listRegistryCredentials',
    summary: 'Credentials for other registries (hosts and usernames only)',
    tag: 'registry',
    scope: 'workspace',
    permission: 'workspace.read',
    response: z.object({ credentials: z.array(credentialSchema) }),
    handler: async ({ deps, access }) => ({ credentials: await listCredentials(deps.db, access) }),
  }),
  defineRoute({
    method: 'PUT',
    path: `${base}/{host}`,
    operationId: 'setRegistryCredential',
    summary: 'Stores (or replaces) the credential for a registry host; the password is encrypted and never returned',
    tag: 'registry',
    scope: 'workspace',
    permission: 'credential.manage',
    params: hostParam,
    body: z.strictObject({ username: z.string().min(1).max(256), password: z.string().min(1).max(16_384).meta({ description: 'never returned' }) }),
    response: credentialSchema,
    handler: async ({ deps, access, params, body }) => setCredential(deps.db, deps.keyring, access, { host: params.host, ...body }),
  }),
  defineRoute({
    method: 'DELETE',
    path: `${base}/{host}`,
    operationId: 'removeRegistryCredential',
    summary: 'Removes the credential for a registry host',
    tag: 'registry',
    scope: 'workspace',
    permission: 'credential.manage',
    params: hostParam,
    response: z.object({ host: z.string(), removed: z.literal(true) }),
    handler: async ({ deps, access, params }) => {
      await removeCredential(deps.db, access, params.host);
      return { host: params.host, removed: true as const };
    },
  }),
];
