/** Routes: an application's sites. */
import { deletedSchema } from '../../api/common.js';
import { createSiteBody, siteCreatedSchema, siteListQuery, siteListSchema, siteParam, siteSchema, updateSiteBody, versionSitesQuery, versionSitesSchema } from '../../api/sites.js';
import { applicationParam } from '../../api/applications.js';
import { findApplication } from '../../apps/applications.js';
import { createSite, listSites, removeSite, showSite, updateSite, versionSites } from '../../apps/sites.js';
import { defineRoute } from '../http/route.js';

const base = '/api/v1/workspaces/{workspace}/applications/{application}/sites';

export const siteRoutes = [
  defineRoute({
    method: 'GET',
    path: base,
    operationId: 'listSites',
    summary: "The application's sites by name, each with its version, labels, channel, policy and state; `sites` keeps those a selector matches",
    tag: 'sites',
    scope: 'workspace',
    permission: 'project.read',
    params: applicationParam,
    query: siteListQuery,
    response: siteListSchema,
    handler: async ({ deps, access, params, query }) => {
      const app = await findApplication(deps.db, access, params.application);
      return { application: app.name, sites: await listSites(deps.db, access, app, query.sites) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/workspaces/{workspace}/applications/{application}/versions/sites',
    operationId: 'applicationVersionSites',
    summary: 'How many sites run each version (and the first names of each), the sites on no version too: counts, for herds of thousands',
    tag: 'sites',
    scope: 'workspace',
    permission: 'project.read',
    params: applicationParam,
    query: versionSitesQuery,
    response: versionSitesSchema,
    handler: async ({ deps, access, params, query }) => {
      const app = await findApplication(deps.db, access, params.application);
      return { application: app.name, ...(await versionSites(deps.db, app, query.names)) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: base,
    operationId: 'createSite',
    summary: "Create a site: an environment of the application's project with labels, a channel and a policy; deploys the version asked for, else the latest on its channel (deploy=false: nothing)",
    tag: 'sites',
    scope: 'workspace',
    permission: 'project.write',
    status: 201,
    params: applicationParam,
    body: createSiteBody,
    response: siteCreatedSchema,
    handler: async ({ deps, access, params, body }) => {
      const app = await findApplication(deps.db, access, params.application);
      const created = await createSite(deps.db, access, app, body, deps.keyring);
      if (created.deployment) deps.deploy.enqueue((await deps.db.selectFrom('deployments').select('environment_id').where('id', '=', created.deployment.id).executeTakeFirstOrThrow()).environment_id);
      return created;
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${base}/{site}`,
    operationId: 'getSite',
    summary: 'One site',
    tag: 'sites',
    scope: 'workspace',
    permission: 'project.read',
    params: siteParam,
    response: siteSchema,
    handler: async ({ deps, access, params }) => showSite(deps.db, access, await findApplication(deps.db, access, params.application), params.site),
  }),
  defineRoute({
    method: 'PATCH',
    path: `${base}/{site}`,
    operationId: 'updateSite',
    summary: "Change a site's labels (set, unset), channel, policy or maintenance window; labels reach its workloads at their next deploy or job run",
    tag: 'sites',
    scope: 'workspace',
    permission: 'project.write',
    protectedRole: 'admin',
    params: siteParam,
    body: updateSiteBody,
    response: siteSchema,
    handler: async ({ deps, access, params, body }) => updateSite(deps.db, access, await findApplication(deps.db, access, params.application), params.site, body),
  }),
  defineRoute({
    method: 'DELETE',
    path: `${base}/{site}`,
    operationId: 'removeSite',
    summary: 'Remove a site: its workloads and route, then its releases, config and secrets, as env delete does (refused while a herd upgrade of the application runs)',
    tag: 'sites',
    scope: 'workspace',
    permission: 'project.delete',
    params: siteParam,
    response: deletedSchema,
    handler: async ({ deps, access, params }) => {
      await removeSite(deps.db, deps.deploy.placements, access, await findApplication(deps.db, access, params.application), params.site);
      return { deleted: params.site };
    },
  }),
];
