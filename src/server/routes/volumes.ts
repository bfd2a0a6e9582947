/** Routes: backups of an environment's volumes, their download, restore and removal. */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { deletedSchema } from '../../api/common.js';
import { volumeBackupListSchema, volumeBackupParam, volumeBackupScheduleBody, volumeBackupScheduleStateSchema, volumeBackupSchema, volumeParam, volumeRestoreSchema } from '../../api/volumes.js';
import { getVolumeBackupSchedule, removeVolumeBackupSchedule, setVolumeBackupSchedule } from '../../volumes/backup-schedules.js';
import { createVolumeBackup, listVolumeBackups, openVolumeBackup, removeVolumeBackup, type VolumeBackupContext } from '../../volumes/backups.js';
import { restoreVolumeBackup } from '../../volumes/restore.js';
import { uploadVolumeBackup } from '../../volumes/upload.js';
import { defaultLimits } from '../../builder/index.js';
import type { ServerDeps } from '../deps.js';
import { defineRoute } from '../http/route.js';

const volume = '/api/v1/workspaces/{workspace}/projects/{project}/environments/{environment}/volumes/{volume}';

export const volumeContext = (deps: ServerDeps): VolumeBackupContext => ({ db: deps.db, keyring: deps.keyring, dataDir: deps.dataDir, deploy: deps.services.provisioning?.() ?? null, enqueue: (id) => deps.deploy.enqueue(id), keepBackups: deps.services.keepBackups });

export const volumeRoutes = [
  defineRoute({
    method: 'GET',
    path: `${volume}/backup-schedule`,
    operationId: 'getVolumeBackupSchedule',
    summary: "A volume's backup schedule: cron (UTC), keep, the next slot and the last slot's outcome (null: none)",
    tag: 'environments',
    scope: 'environment',
    permission: 'volume.read',
    params: volumeParam,
    response: volumeBackupScheduleStateSchema,
    handler: async ({ deps, access, params }) => getVolumeBackupSchedule(deps.db, access, params.volume),
  }),
  defineRoute({
    method: 'PUT',
    path: `${volume}/backup-schedule`,
    operationId: 'setVolumeBackupSchedule',
    summary: "Set (or replace) a volume's backup schedule: five cron fields in UTC and how many scheduled backups to keep. A bad expression is SLW_VALIDATION and stores nothing; a keep that may remove backups (new or lower) needs admin",
    tag: 'environments',
    scope: 'environment',
    permission: 'volume.backup',
    params: volumeParam,
    body: volumeBackupScheduleBody,
    response: volumeBackupScheduleStateSchema,
    handler: async ({ deps, access, params, body }) => setVolumeBackupSchedule(deps.db, access, params.volume, { cron: body.cron, keep: body.keep }),
  }),
  defineRoute({
    method: 'DELETE',
    path: `${volume}/backup-schedule`,
    operationId: 'removeVolumeBackupSchedule',
    summary: "Remove a volume's backup schedule (its backups stay); removing none is no error",
    tag: 'environments',
    scope: 'environment',
    permission: 'volume.backup',
    params: volumeParam,
    response: volumeBackupScheduleStateSchema,
    handler: async ({ deps, access, params }) => removeVolumeBackupSchedule(deps.db, access, params.volume),
  }),
  defineRoute({
    method: 'GET',
    path: `${volume}/backups`,
    operationId: 'listVolumeBackups',
    summary: "A volume's backups, newest first",
    tag: 'environments',
    scope: 'environment',
    permission: 'volume.read',
    params: volumeParam,
    response: volumeBackupListSchema,
    handler: async ({ deps, access, params }) => ({ backups: await listVolumeBackups(deps.db, access, params.volume) }),
  }),
  defineRoute({
    method: 'POST',
    path: `${volume}/backups`,
    operationId: 'backupVolume',
    summary: "Back up a volume: its files as a tar archive, read through the running release's image (nothing runs), kept in the server's data directory",
    tag: 'environments',
    scope: 'environment',
    permission: 'volume.backup',
    status: 201,
    params: volumeParam,
    response: volumeBackupSchema,
    handler: async ({ deps, access, params }) => createVolumeBackup(volumeContext(deps), access, params.volume),
  }),
  defineRoute({
    method: 'POST',
    path: `${volume}/backups/upload`,
    operationId: 'uploadVolumeBackup',
    summary: "Upload a tar (or tar.gz) of a volume's files as a backup of it (trigger upload), checked as it arrives: paths relative to the volume, no device files or entries beneath a symlink, within the server's limits; restore it with …/backups/{backup}/restore. Nothing runs",
    tag: 'environments',
    scope: 'environment',
    permission: 'volume.backup',
    status: 201,
    params: volumeParam,
    rawBody: { contentType: 'application/octet-stream', description: "a tar or tar.gz of the volume's files, entries relative to the volume (as a download gives them, or tar -C DIR -cf - .)" },
    response: volumeBackupSchema,
    handler: async ({ deps, access, params, request }) => {
      const length = request.headers['content-length'];
      const limits = { maxBytes: deps.maxArtifactBytes, unpack: { ...defaultLimits, ...deps.unpackLimits } };
      return uploadVolumeBackup(volumeContext(deps), access, params.volume, request.raw, length === undefined ? undefined : Number(length), limits);
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${volume}/backups/{backup}/download`,
    operationId: 'downloadVolumeBackup',
    summary: 'The backup as a tar archive (application/x-tar), after its file is checked; X-Slipway-Sha256 carries its SHA-256',
    tag: 'environments',
    scope: 'environment',
    permission: 'volume.backup',
    params: volumeBackupParam,
    response: z.unknown().meta({ description: "application/x-tar: the volume's files, entries relative to the volume (./…), owners and modes kept" }),
    handler: async ({ deps, access, params, reply }) => {
      const { info, tar } = await openVolumeBackup(volumeContext(deps), access, params.volume, params.backup);
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'application/x-tar',
        'content-length': String(info.size),
        'content-disposition': `attachment; filename="${access.project.name}-${access.environment.name}-${info.volume}-${info.id}.tar"`,
        'x-slipway-sha256': info.sha256,
        'cache-control': 'no-store',
      });
      await pipeline(Readable.from(tar), reply.raw).catch(() => reply.raw.destroy());
    },
  }),
  defineRoute({
    method: 'POST',
    path: `${volume}/backups/{backup}/restore`,
    operationId: 'restoreVolumeBackup',
    summary: "Restore a volume from one of its backups: the file is checked, unpacked into a new generation of the volume (the live one is never written), and a release rolls that mounts it; in an environment that requires approval only admins and owners may",
    tag: 'environments',
    scope: 'environment',
    permission: 'volume.restore',
    protectedRole: 'admin',
    params: volumeBackupParam,
    response: volumeRestoreSchema,
    handler: async ({ deps, access, params }) => restoreVolumeBackup(volumeContext(deps), access, params.volume, params.backup),
  }),
  defineRoute({
    method: 'DELETE',
    path: `${volume}/backups/{backup}`,
    operationId: 'deleteVolumeBackup',
    summary: 'Remove a backup (its row and its file)',
    tag: 'environments',
    scope: 'environment',
    permission: 'volume.delete',
    params: volumeBackupParam,
    response: deletedSchema,
    handler: async ({ deps, access, params }) => removeVolumeBackup(volumeContext(deps), access, params.volume, params.backup),
  }),
];
