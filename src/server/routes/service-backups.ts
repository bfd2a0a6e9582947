/** Routes: backups of an attachment's data, and restores from them; every backup of a service, also those whose attachment is gone. */
import { deletedSchema } from '../../api/common.js';
import { backupBody, backupListSchema, backupParam, backupQuery, backupSchema, restoreBody, restoreSchema, serviceBackupListSchema, serviceBackupsQuery, serviceParam } from '../../api/services.js';
import { listServiceBackups, removeServiceBackup } from '../../services/backup-records.js';
import { deleteBackup } from '../../services/backup-retention.js';
import { createBackup, listBackups, restoreBackup, type BackupContext } from '../../services/backups.js';
import type { ServerDeps } from '../deps.js';
import { defineRoute } from '../http/route.js';

const workspace = '/api/v1/workspaces/{workspace}';
const environment = `${workspace}/projects/{project}/environments/{environment}`;

/** With provisioning: a provisioned service's admin connection goes to the address its target reports. */
export const backupContext = (deps: ServerDeps): BackupContext => ({ db: deps.db, keyring: deps.keyring, drivers: deps.services.drivers, hosts: deps.services.hosts, provisioning: deps.services.provisioning, backups: deps.services.backups, dataDir: deps.dataDir, keepBackups: deps.services.keepBackups });

export const serviceBackupRoutes = [
  defineRoute({
    method: 'GET',
    path: `${environment}/attachments/{service}/backups`,
    operationId: 'listServiceBackups',
    summary: "An attachment's backups, newest first",
    tag: 'services',
    scope: 'environment',
    permission: 'service.read',
    params: serviceParam,
    query: backupQuery,
    response: backupListSchema,
    handler: async ({ deps, access, params, query }) => ({ backups: await listBackups(deps.db, access, params.service, query.as ?? null) }),
  }),
  defineRoute({
    method: 'POST',
    path: `${environment}/attachments/{service}/backups`,
    operationId: 'backupService',
    summary: "Back up an attachment's data (its database, keys under its prefix, or vhost definitions) into the server's data directory",
    tag: 'services',
    scope: 'environment',
    permission: 'service.backup',
    status: 201,
    params: serviceParam,
    body: backupBody,
    response: backupSchema,
    handler: async ({ deps, access, params, body }) => createBackup(backupContext(deps), access, params.service, body.as ?? null),
  }),
  defineRoute({
    method: 'POST',
    path: `${environment}/attachments/{service}/backups/{backup}/restore`,
    operationId: 'restoreServiceBackup',
    summary: "Replace an attachment's data by one of its backups, or (fromDetached) by a backup of the same service whose attachment is gone, after checking the file (a corrupt or foreign backup is refused and changes nothing)",
    tag: 'services',
    scope: 'environment',
    permission: 'service.restore',
    params: backupParam,
    body: restoreBody,
    response: restoreSchema,
    handler: async ({ deps, access, params, body }) => restoreBackup(backupContext(deps), access, params.service, body.as ?? null, params.backup, { fromDetached: body.fromDetached === true }),
  }),
  defineRoute({
    method: 'DELETE',
    path: `${environment}/attachments/{service}/backups/{backup}`,
    operationId: 'deleteServiceBackup',
    summary: 'Remove a backup (its row and its file); refused while a herd upgrade that has not finished, a site whose revert failed or a running service upgrade may still restore it',
    tag: 'services',
    scope: 'environment',
    permission: 'service.restore',
    params: backupParam,
    query: backupQuery,
    response: deletedSchema,
    handler: async ({ deps, access, params, query }) => deleteBackup(deps.db, deps.dataDir, access, params.service, query.as ?? null, params.backup),
  }),
  defineRoute({
    method: 'GET',
    path: `${workspace}/services/{service}/backups`,
    operationId: 'listAllServiceBackups',
    summary: "Every backup of a service, newest first, also those whose attachment is gone (detached, or its environment deleted): where each was taken, as recorded then, and whether its attachment still exists",
    tag: 'services',
    scope: 'workspace',
    permission: 'service.read',
    params: serviceParam,
    query: serviceBackupsQuery,
    response: serviceBackupListSchema,
    handler: async ({ deps, access, params, query }) => {
      const backups = await listServiceBackups(deps.db, access, params.service, { detachedOnly: query.detached === 'true' });
      return { backups, totalBytes: backups.reduce((n, b) => n + b.size, 0) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: `${workspace}/services/{service}/backups/{backup}`,
    operationId: 'removeAnyServiceBackup',
    summary: 'Remove one backup of a service by id (its row and its file), whether or not its attachment still exists; refused while a herd upgrade that has not finished, a site whose revert failed or a running service upgrade may still restore it',
    tag: 'services',
    scope: 'workspace',
    permission: 'service.restore',
    params: backupParam,
    response: deletedSchema,
    handler: async ({ deps, access, params }) => removeServiceBackup(deps.db, deps.dataDir, access, params.service, params.backup),
  }),
];
