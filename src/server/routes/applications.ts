/** Routes: applications and their versions. */
import { applicationListSchema, applicationParam, applicationSchema, applicationVersionListSchema, createApplicationBody, pollResultSchema, versionsQuery } from '../../api/applications.js';
import { deletedSchema } from '../../api/common.js';
import { applicationVersions, createApplication, describeApplication, findApplication, listApplications, parseUpstream, removeApplication } from '../../apps/applications.js';
import { pollUpstream } from '../../apps/upstream.js';
import { SlipwayError } from '../../core/errors.js';
import { clientFor } from '../../images/remote.js';
import { defineRoute } from '../http/route.js';
import { remoteServices, selfHosts } from './images.js';

const base = '/api/v1/workspaces/{workspace}/applications';

export const applicationRoutes = [
  defineRoute({
    method: 'GET',
    path: base,
    operationId: 'listApplications',
    summary: "The workspace's applications, each with its latest version",
    tag: 'applications',
    scope: 'workspace',
    permission: 'project.read',
    response: applicationListSchema,
    handler: async ({ deps, access }) => ({ applications: await listApplications(deps.db, access) }),
  }),
  defineRoute({
    method: 'POST',
    path: base,
    operationId: 'createApplication',
    summary: "Create an application from a project (its semver tags are the versions) or from an upstream repository (its semver tags are imported by digest as they appear; the tag list is read first, so an unreachable or refused upstream stores nothing)",
    tag: 'applications',
    scope: 'workspace',
    permission: 'project.write',
    status: 201,
    body: createApplicationBody,
    response: applicationSchema,
    handler: async ({ deps, access, body, request }) => {
      if (body.upstream !== undefined) {
        // Reachable and allowed (egress policy, credentials) before anything is stored.
        const u = parseUpstream(body.upstream, selfHosts(deps, request));
        await clientFor(remoteServices(deps), access.workspace.id, 'SLW_UPSTREAM_REGISTRY').listTags(u.registry, u.repository, 1);
      }
      const row = await createApplication(deps.db, access, body, selfHosts(deps, request), deps.upstreamMinPollSeconds);
      if (row.source === 'upstream') {
        // The first versions now, so the answer shows them; what is left, the watcher imports.
        await pollUpstream(remoteServices(deps), row).catch(() => undefined);
      }
      return describeApplication(deps.db, access, await findApplication(deps.db, access, row.name));
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${base}/{application}`,
    operationId: 'getApplication',
    summary: 'One application',
    tag: 'applications',
    scope: 'workspace',
    permission: 'project.read',
    params: applicationParam,
    response: applicationSchema,
    handler: async ({ deps, access, params }) => describeApplication(deps.db, access, await findApplication(deps.db, access, params.application)),
  }),
  defineRoute({
    method: 'GET',
    path: `${base}/{application}/versions`,
    operationId: 'listApplicationVersions',
    summary: 'Its versions, highest first, each classified (major, minor, patch) against the previous release, with its channel and digest',
    tag: 'applications',
    scope: 'workspace',
    permission: 'project.read',
    params: applicationParam,
    query: versionsQuery,
    response: applicationVersionListSchema,
    handler: async ({ deps, access, params, query }) => {
      const app = await findApplication(deps.db, access, params.application);
      const all = await applicationVersions(deps.db, app);
      return { application: app.name, latest: all.find((v) => v.latest)?.version ?? null, versions: query.channel ? all.filter((v) => v.channel === query.channel) : all };
    },
  }),
  defineRoute({
    method: 'POST',
    path: `${base}/{application}/poll`,
    operationId: 'pollApplication',
    summary: 'Check the upstream for new versions now and import them',
    tag: 'applications',
    scope: 'workspace',
    permission: 'project.write',
    params: applicationParam,
    response: pollResultSchema,
    handler: async ({ deps, access, params }) => {
      const app = await findApplication(deps.db, access, params.application);
      if (app.source !== 'upstream') throw new SlipwayError('SLW_VALIDATION', `application '${app.name}' is made from a project: its versions appear as they are built, there is nothing to poll`);
      return pollUpstream(remoteServices(deps), app, { poke: deps.apps?.poke });
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: `${base}/{application}`,
    operationId: 'removeApplication',
    summary: 'Forget an application and its version list; its project, images and environments stay',
    tag: 'applications',
    scope: 'workspace',
    permission: 'project.delete',
    params: applicationParam,
    response: deletedSchema,
    handler: async ({ deps, access, params }) => {
      await removeApplication(deps.db, access, params.application);
      return { deleted: params.application };
    },
  }),
];
