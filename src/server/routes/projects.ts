/** Routes: projects and environments. */
import { pruneOrphanVolumeBackups } from '../../volumes/backups.js';
import { deletedSchema, environmentDeletedSchema, environmentDeleteQuery } from '../../api/common.js';
import { createEnvironmentBody, createProjectBody, environmentListSchema, environmentSchema, projectListSchema, projectSchema } from '../../api/projects.js';
import { deleteEnvironment, deleteProject } from '../../deploy/removal.js';
import { createEnvironment, createProject, describeProject, listEnvironments, listProjects, toEnvironment } from '../../projects/projects.js';
import { defineRoute } from '../http/route.js';

const base = '/api/v1/workspaces/{workspace}/projects';

export const projectRoutes = [
  defineRoute({
    method: 'GET',
    path: base,
    operationId: 'listProjects',
    summary: "The workspace's projects",
    tag: 'projects',
    scope: 'workspace',
    permission: 'project.read',
    response: projectListSchema,
    handler: async ({ deps, access }) => ({ projects: await listProjects(deps.db, access) }),
  }),
  defineRoute({
    method: 'POST',
    path: base,
    operationId: 'createProject',
    summary: "Create a project with its tier's default environments",
    tag: 'projects',
    scope: 'workspace',
    permission: 'project.write',
    status: 201,
    body: createProjectBody,
    response: projectSchema,
    handler: async ({ deps, access, body }) => createProject(deps.db, access, body),
  }),
  defineRoute({
    method: 'GET',
    path: `${base}/{project}`,
    operationId: 'getProject',
    summary: 'One project',
    tag: 'projects',
    scope: 'project',
    permission: 'project.read',
    response: projectSchema,
    handler: async ({ deps, access }) => describeProject(deps.db, access),
  }),
  defineRoute({
    method: 'DELETE',
    path: `${base}/{project}`,
    operationId: 'deleteProject',
    summary: 'Delete a project: its workloads and routes are removed, then its environments, releases, config, secrets and registry repository (the audit log keeps the trail)',
    tag: 'projects',
    scope: 'project',
    permission: 'project.delete',
    response: deletedSchema,
    handler: async ({ deps, access }) => {
      await deleteProject(deps.db, deps.deploy.placements, access);
      await pruneOrphanVolumeBackups(deps.db, deps.dataDir);
      return { deleted: access.project.name };
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${base}/{project}/environments`,
    operationId: 'listEnvironments',
    summary: "The project's environments in pipeline order",
    tag: 'environments',
    scope: 'project',
    permission: 'project.read',
    response: environmentListSchema,
    handler: async ({ deps, access }) => ({ environments: await listEnvironments(deps.db, access) }),
  }),
  defineRoute({
    method: 'POST',
    path: `${base}/{project}/environments`,
    operationId: 'createEnvironment',
    summary: "Create an environment (custom environments need the high or business tier)",
    tag: 'environments',
    scope: 'project',
    permission: 'project.write',
    status: 201,
    body: createEnvironmentBody,
    response: environmentSchema,
    handler: async ({ deps, access, body }) => createEnvironment(deps.db, access, body),
  }),
  defineRoute({
    method: 'GET',
    path: `${base}/{project}/environments/{environment}`,
    operationId: 'getEnvironment',
    summary: 'One environment',
    tag: 'environments',
    scope: 'environment',
    permission: 'project.read',
    response: environmentSchema,
    handler: async ({ access }) => toEnvironment(access, access.environment),
  }),
  defineRoute({
    method: 'DELETE',
    path: `${base}/{project}/environments/{environment}`,
    operationId: 'deleteEnvironment',
    summary: 'Delete an environment that is not a tier default: its workloads and route are removed, then its releases, config and secrets (the audit log keeps the trail); its volumes stay on their target unless dropVolumes=true',
    tag: 'environments',
    scope: 'environment',
    permission: 'project.delete',
    query: environmentDeleteQuery,
    response: environmentDeletedSchema,
    handler: async ({ deps, access, query }) => {
      const volumes = await deleteEnvironment(deps.db, deps.deploy.placements, access, undefined, { dropVolumes: query.dropVolumes === 'true' });
      await pruneOrphanVolumeBackups(deps.db, deps.dataDir);
      return { deleted: access.environment.name, volumes };
    },
  }),
];
