/** Routes: an attachment's backup schedule (read, set, remove); the server's scheduler takes its slots (src/services/backup-scheduler.ts). */
import { backupScheduleBody, backupScheduleQuery, backupScheduleStateSchema } from '../../api/backup-schedules.js';
import { serviceParam } from '../../api/services.js';
import { getBackupSchedule, removeBackupSchedule, setBackupSchedule } from '../../services/backup-schedules.js';
import { defineRoute } from '../http/route.js';

const attachment = '/api/v1/workspaces/{workspace}/projects/{project}/environments/{environment}/attachments/{service}';

export const backupScheduleRoutes = [
  defineRoute({
    method: 'GET',
    path: `${attachment}/backup-schedule`,
    operationId: 'getBackupSchedule',
    summary: "An attachment's backup schedule: cron (UTC), keep, the next slot and the last slot's outcome (null: none)",
    tag: 'services',
    scope: 'environment',
    permission: 'service.read',
    params: serviceParam,
    query: backupScheduleQuery,
    response: backupScheduleStateSchema,
    handler: async ({ deps, access, params, query }) => getBackupSchedule(deps.db, access, params.service, query.as ?? null),
  }),
  defineRoute({
    method: 'PUT',
    path: `${attachment}/backup-schedule`,
    operationId: 'setBackupSchedule',
    summary: "Set (or replace) an attachment's backup schedule: five cron fields in UTC and how many scheduled backups to keep. A bad expression is SLW_VALIDATION and stores nothing; a custom service's attachment SLW_SERVICE_UNSUPPORTED; a keep that may remove backups (new or lower) needs admin",
    tag: 'services',
    scope: 'environment',
    permission: 'service.backup',
    params: serviceParam,
    body: backupScheduleBody,
    response: backupScheduleStateSchema,
    handler: async ({ deps, access, params, body }) => setBackupSchedule(deps.db, access, params.service, body.as ?? null, { cron: body.cron, keep: body.keep }),
  }),
  defineRoute({
    method: 'DELETE',
    path: `${attachment}/backup-schedule`,
    operationId: 'removeBackupSchedule',
    summary: "Remove an attachment's backup schedule (its backups stay); removing none is no error",
    tag: 'services',
    scope: 'environment',
    permission: 'service.backup',
    params: serviceParam,
    query: backupScheduleQuery,
    response: backupScheduleStateSchema,
    handler: async ({ deps, access, params, query }) => removeBackupSchedule(deps.db, access, params.service, query.as ?? null),
  }),
];
