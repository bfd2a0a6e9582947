/** Routes: credentials for other registries (write-only passwords). */
import { credentialBody, credentialHostParam, credentialListSchema, credentialRemovedSchema, credentialSchema } from '../../api/registry.js';
import { listCredentials, removeCredential, setCredential } from '../../registry/credentials.js';
import { defineRoute } from '../http/route.js';

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
    response: credentialListSchema,
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
    params: credentialHostParam,
    body: credentialBody,
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
    params: credentialHostParam,
    response: credentialRemovedSchema,
    handler: async ({ deps, access, params }) => {
      await removeCredential(deps.db, access, params.host);
      return { host: params.host, removed: true as const };
    },
  }),
];
