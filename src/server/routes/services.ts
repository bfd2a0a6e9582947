/** Routes: services (adopted or provisioned, custom images too), their attachments to environments and image upgrades (backups: service-backups.ts). */
import { attachBody, attachmentChangeSchema, attachmentListSchema, createServiceBody, detachBody, removedServiceSchema, removeServiceQuery, rotateBody, serviceDetailSchema, serviceListSchema, serviceParam, serviceSchema, upgradeBody, upgradeResultSchema } from '../../api/services.js';
import { restartAfterChange } from '../../deploy/restart.js';
import type { EnvironmentAccess } from '../../projects/projects.js';
import { attach, detach, listAttachments, listServiceAttachments, rotate } from '../../services/attachments.js';
import { SlipwayError } from '../../core/errors.js';
import { provisionService, removeAnyService } from '../../services/provision.js';
import { adoptCustomService } from '../../services/custom.js';
import { createService, describeService, findService, listServices } from '../../services/services.js';
import { upgradeService } from '../../services/upgrade.js';
import { listUpgrades } from '../../services/upgrade-store.js';
import { backupContext } from './service-backups.js';
import { actorOf } from '../../tenancy/principal.js';
import type { ServerDeps } from '../deps.js';
import { defineRoute } from '../http/route.js';

const workspace = '/api/v1/workspaces/{workspace}';
const environment = `${workspace}/projects/{project}/environments/{environment}`;

/** Rolls the running release with the environment's new attachments (no rebuild), then lets the sweep finish what waits. */
async function roll(deps: ServerDeps, access: EnvironmentAccess) {
  const deployment = await restartAfterChange(deps.db, access, 'service-change', actorOf(access.principal), deps.deploy.enqueue);
  deps.services.poke();
  return deployment ? { id: deployment.id, releaseNumber: deployment.releaseNumber } : null;
}


export const serviceRoutes = [
  defineRoute({
    method: 'GET',
    path: `${workspace}/services`,
    operationId: 'listServices',
    summary: "The workspace's services (never their credentials)",
    tag: 'services',
    scope: 'workspace',
    permission: 'service.read',
    response: serviceListSchema,
    handler: async ({ deps, access }) => ({ services: await listServices(deps.db, access, deps.services.provisioning) }),
  }),
  defineRoute({
    method: 'POST',
    path: `${workspace}/services`,
    operationId: 'createService',
    summary: 'Adopt a server (PostgreSQL, MySQL/MariaDB, Redis, RabbitMQ with admin credentials; custom: HOST:PORT), or provision one from an image (PostgreSQL, or a custom image with a port, env and a volume); checked before anything is stored',
    tag: 'services',
    scope: 'workspace',
    permission: 'service.manage',
    status: 201,
    body: createServiceBody,
    response: serviceSchema,
    handler: async ({ deps, access, body }) => {
      const ctx = { db: deps.db, keyring: deps.keyring, ...deps.services };
      if ((body.adopt === undefined) === (body.image === undefined)) throw new SlipwayError('SLW_VALIDATION', 'give exactly one of --adopt URL (a running server) or --image REF (Slipway runs it)');
      if (body.image !== undefined) {
        if (body.managementUrl !== undefined || body.workloadAddress !== undefined) throw new SlipwayError('SLW_VALIDATION', '--management-url and --workload-address are for adopted services; Slipway picks them for a provisioned one');
        const { name, kind, image, memory, cpus, port, env, volume, health, scheme } = body;
        return provisionService(ctx, access, { name, kind, image, memory, cpus, port, env, volume, health, scheme }, { logger: deps.logger });
      }
      const provisionOnly = (['memory', 'cpus', 'port', 'env', 'volume', 'health'] as const).filter((k) => body[k] !== undefined);
      if (provisionOnly.length > 0) throw new SlipwayError('SLW_VALIDATION', `${provisionOnly.map((k) => `--${k}`).join(', ')} ${provisionOnly.length === 1 ? 'is' : 'are'} for provisioned services (--image)`);
      if (body.kind === 'custom') {
        if (body.managementUrl !== undefined) throw new SlipwayError('SLW_VALIDATION', '--management-url is for rabbitmq services only');
        return adoptCustomService(ctx, access, { name: body.name, adopt: body.adopt!, workloadAddress: body.workloadAddress, scheme: body.scheme });
      }
      if (body.scheme !== undefined) throw new SlipwayError('SLW_VALIDATION', '--scheme is for custom services only');
      return createService(ctx, access, { name: body.name, kind: body.kind, adopt: body.adopt!, managementUrl: body.managementUrl, workloadAddress: body.workloadAddress });
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${workspace}/services/{service}`,
    operationId: 'getService',
    summary: 'A service and its attachments',
    tag: 'services',
    scope: 'workspace',
    permission: 'service.read',
    params: serviceParam,
    response: serviceDetailSchema,
    handler: async ({ deps, access, params }) => ({
      service: await describeService(deps.db, access, params.service, deps.services.provisioning),
      attachments: await listServiceAttachments(deps.db, access, params.service),
      upgrades: await listUpgrades(deps.db, (await findService(deps.db, access, params.service)).id),
    }),
  }),
  defineRoute({
    method: 'POST',
    path: `${workspace}/services/{service}/upgrade`,
    operationId: 'upgradeService',
    summary: "Upgrade a provisioned service's image: back up every attachment, replace the workload on the same volume with the new digest, wait until healthy; an unhealthy one is rolled back to the previous image (SLW_SERVICE_UPGRADE_FAILED)",
    tag: 'services',
    scope: 'workspace',
    permission: 'service.manage',
    params: serviceParam,
    body: upgradeBody,
    response: upgradeResultSchema,
    handler: async ({ deps, access, params, body }) => upgradeService(backupContext(deps), access, params.service, { image: body.image, withoutBackup: body.withoutBackup }, { logger: deps.logger }),
  }),
  defineRoute({
    method: 'DELETE',
    path: `${workspace}/services/{service}`,
    operationId: 'removeService',
    summary: 'Remove a service that has no attachments: an adopted server is left as it is; a provisioned one stops, its data volume kept unless dropData with confirm; refused while it has backups unless dropBackups',
    tag: 'services',
    scope: 'workspace',
    permission: 'service.manage',
    params: serviceParam,
    query: removeServiceQuery,
    response: removedServiceSchema,
    handler: async ({ deps, access, params, query }) => {
      const r = await removeAnyService({ db: deps.db, keyring: deps.keyring, ...deps.services }, access, params.service, { dropData: query.dropData === 'true', confirm: query.confirm, dropBackups: query.dropBackups === 'true', dataDir: deps.dataDir });
      return { deleted: r.name, volumeKept: r.volumeKept, backupsRemoved: r.backupsRemoved };
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${environment}/attachments`,
    operationId: 'listAttachments',
    summary: "The environment's attached services and the names of the variables they inject",
    tag: 'services',
    scope: 'environment',
    permission: 'service.read',
    response: attachmentListSchema,
    handler: async ({ deps, access }) => ({ attachments: await listAttachments(deps.db, access) }),
  }),
  defineRoute({
    method: 'POST',
    path: `${environment}/attachments`,
    operationId: 'attachService',
    summary: 'Attach a service: a database / vhost / key prefix and credentials of its own, injected as variables; rolls the running release',
    tag: 'services',
    scope: 'environment',
    permission: 'service.attach',
    protectedRole: 'admin',
    status: 201,
    body: attachBody,
    response: attachmentChangeSchema,
    handler: async ({ deps, access, body }) => {
      const attachment = await attach({ db: deps.db, keyring: deps.keyring, ...deps.services }, access, body.service, body.as ?? null);
      return { attachment, deployment: await roll(deps, access) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: `${environment}/attachments/{service}/rotate`,
    operationId: 'rotateServiceCredentials',
    summary: 'New credentials for an attachment; a release rolls with them and the old ones are revoked once its old replicas have drained',
    tag: 'services',
    scope: 'environment',
    permission: 'service.attach',
    protectedRole: 'admin',
    params: serviceParam,
    body: rotateBody,
    response: attachmentChangeSchema,
    handler: async ({ deps, access, params, body }) => {
      const attachment = await rotate({ db: deps.db, keyring: deps.keyring, ...deps.services }, access, params.service, body.as ?? null);
      return { attachment, deployment: await roll(deps, access) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: `${environment}/attachments/{service}/detach`,
    operationId: 'detachService',
    summary: 'Detach a service: a release rolls without its variables, then its credentials are revoked (its data is kept unless dropData with confirm)',
    tag: 'services',
    scope: 'environment',
    permission: 'service.attach',
    protectedRole: 'admin',
    params: serviceParam,
    body: detachBody,
    response: attachmentChangeSchema,
    handler: async ({ deps, access, params, body }) => {
      const attachment = await detach({ db: deps.db, keyring: deps.keyring, ...deps.services }, access, params.service, body.as ?? null, { dropData: body.dropData === true, confirm: body.confirm });
      return { attachment, deployment: await roll(deps, access) };
    },
  }),
];
