/** API shapes: services (adopted or provisioned; custom images too), their attachments to environments, backups and upgrades. Credentials and a custom service's environment only go in. */
import { z } from 'zod';
import { serviceKinds } from '../core/services.js';
import { backupScheduleSchema, backupTriggerSchema } from './backup-schedules.js';
import { deploymentRef, nameSchema, timestamp } from './common.js';

export const provisionedSchema = z
  .object({
    placement: z.string().meta({ description: 'the target it runs on (local)' }),
    image: z.string().meta({ description: 'the image it runs, pinned by digest' }),
    imageDigest: z.string(),
    volume: z.string().nullable().meta({ description: 'the named volume of its data (kept when the workload goes); null for a custom service without --volume' }),
    network: z.string().meta({ description: 'the private network workloads of attached environments join' }),
    memoryBytes: z.number().int().nullable(),
    cpuMillis: z.number().int().nullable().meta({ description: 'thousandths of a CPU' }),
    health: z.enum(['ready', 'starting', 'failed', 'stopped', 'unknown']).meta({ description: 'as its target reports it now' }),
    message: z.string().nullable(),
    upgradedAt: timestamp.nullable().meta({ description: 'when its image was last upgraded (null: never)' }),
  })
  .meta({ id: 'ProvisionedService' });

export const customSchema = z
  .object({
    scheme: z.string().meta({ description: 'the scheme of <PREFIX>_URL' }),
    health: z.string().meta({ description: 'tcp or http:/PATH (provisioned: how the target judges it ready)' }),
    volumePath: z.string().nullable().meta({ description: 'provisioned: where its volume is mounted (null: no volume)' }),
    env: z.array(z.string()).meta({ description: 'names of the variables given at create (values are never shown)' }),
  })
  .meta({ id: 'CustomService', description: 'a custom service: no per-attachment credentials; attachments get <PREFIX>_HOST, _PORT and _URL' });

export const serviceSchema = z
  .object({
    name: z.string(),
    kind: z.enum(serviceKinds),
    mode: z.enum(['adopted', 'provisioned']),
    address: z.string().meta({ description: 'host:port the control plane reaches the server at (provisioned on the local target: a loopback address)' }),
    workloadAddress: z.string().meta({ description: 'host:port workloads reach it at (in their connection variables)' }),
    serverVersion: z.string().nullable(),
    createdAt: timestamp,
    attachments: z.number().int(),
    provisioned: provisionedSchema.optional().meta({ description: 'how Slipway runs it (provisioned services only)' }),
    custom: customSchema.optional().meta({ description: 'custom services only' }),
  })
  .meta({ id: 'Service', description: 'a service without its admin credentials' });
export type ServiceInfo = z.output<typeof serviceSchema>;

export const serviceListSchema = z.object({ services: z.array(serviceSchema) });
export type ServiceList = z.output<typeof serviceListSchema>;

export const serviceParam = z.object({ service: nameSchema('service') });

const text = (max: number, description: string) => z.string().min(1).max(max).meta({ description });

export const createServiceBody = z.strictObject({
  name: nameSchema('service'),
  kind: z.string().max(32).meta({ description: `one of ${serviceKinds.join(', ')}` }),
  adopt: text(2048, 'admin URL of the server to adopt (e.g. postgres://USER:PASSWORD@HOST:5432/postgres); stored encrypted, never returned').optional(),
  image: text(300, 'provision: the image to run (PROJECT:TAG or PROJECT@sha256:… in this workspace), pinned by digest; exclusive with adopt').optional(),
  memory: text(32, 'provision: memory limit, e.g. 512m (default 512m)').optional(),
  cpus: text(16, 'provision: CPU limit, e.g. 1 or 0.5 (default 1)').optional(),
  managementUrl: text(2048, 'RabbitMQ: the management API (default http://HOST:15672)').optional(),
  workloadAddress: text(300, 'HOST[:PORT] workloads reach the server at (default: the admin URL host)').optional(),
  port: z.number().int().min(1).max(65535).optional().meta({ description: 'custom, provisioned: the port the image listens on (required)' }),
  env: z.record(z.string().max(255), z.string().max(65536)).optional().meta({ description: 'custom, provisioned: environment variables of the image; values are stored encrypted, never returned' }),
  volume: text(256, 'custom, provisioned: where to mount the data volume, e.g. /data (default: no volume)').optional(),
  health: text(300, 'custom, provisioned: tcp (default) or http:/PATH').optional(),
  scheme: text(32, 'custom: the scheme of <PREFIX>_URL (default http with an HTTP health check, else tcp)').optional(),
});
export type CreateServiceBody = z.input<typeof createServiceBody>;

export const removedServiceSchema = z.object({
  deleted: z.string(),
  volumeKept: z.string().nullable().meta({ description: "provisioned: the data volume left on the target (null: adopted, or dropped)" }),
  backupsRemoved: z.number().int().meta({ description: 'how many of its backups went with it (dropBackups)' }),
});
export type RemovedService = z.output<typeof removedServiceSchema>;

export const removeServiceQuery = z.strictObject({
  dropData: z.enum(['true', 'false']).optional().meta({ description: "provisioned: also delete the service's data volume, for good (needs confirm)" }),
  confirm: z.string().max(63).optional().meta({ description: 'the service name again, required with dropData' }),
  dropBackups: z.enum(['true', 'false']).optional().meta({ description: "also remove the service's backups (rows and files); without it a service that has backups is refused (SLW_SERVICE_HAS_BACKUPS)" }),
});

export const attachmentSchema = z
  .object({
    service: z.string(),
    kind: z.enum(serviceKinds),
    project: z.string(),
    environment: z.string(),
    as: z.string().nullable(),
    resource: z.string().meta({ description: 'the database, vhost or key prefix Slipway made on the server' }),
    generation: z.number().int().meta({ description: 'the credential generation new releases get' }),
    state: z.enum(['attached', 'detaching']),
    variables: z.array(z.string()).meta({ description: 'names of the injected variables (values are never shown)' }),
    createdAt: timestamp,
    schedule: backupScheduleSchema.nullable().meta({ description: 'its backup schedule (null: none)' }),
  })
  .meta({ id: 'Attachment' });
export type AttachmentInfo = z.output<typeof attachmentSchema>;

export const attachmentListSchema = z.object({ attachments: z.array(attachmentSchema) });
export type AttachmentList = z.output<typeof attachmentListSchema>;

export const upgradeSchema = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'succeeded', 'rolled-back', 'failed', 'interrupted', 'aborted']).meta({ description: 'rolled-back: the new image was not healthy and the previous one runs again; failed: not even the previous one came back; interrupted: the server stopped midway and the next one put the stored image back; aborted: a backup failed, nothing was changed' }),
    fromImage: z.string(),
    fromDigest: z.string(),
    toImage: z.string(),
    toDigest: z.string(),
    backups: z.array(z.string()).meta({ description: 'ids of the backups taken first, one per attachment' }),
    message: z.string().nullable(),
    startedAt: timestamp,
    finishedAt: timestamp.nullable(),
    durationMs: z.number().int().nullable(),
    by: z.string().nullable(),
  })
  .meta({ id: 'ServiceUpgrade', description: "an image upgrade of a provisioned service" });
export type UpgradeInfo = z.output<typeof upgradeSchema>;

export const serviceDetailSchema = z.object({ service: serviceSchema, attachments: z.array(attachmentSchema), upgrades: z.array(upgradeSchema).meta({ description: 'provisioned: its image upgrades, newest first (at most 20)' }) });
export type ServiceDetail = z.output<typeof serviceDetailSchema>;

const prefix = z.string().max(32).meta({ description: 'variable prefix for a second attachment of one kind (ANALYTICS → ANALYTICS_DATABASE_URL)' });

export const attachBody = z.strictObject({ service: nameSchema('service'), as: prefix.optional() });
export type AttachBody = z.input<typeof attachBody>;

export const rotateBody = z.strictObject({ as: prefix.optional() });
export type RotateBody = z.input<typeof rotateBody>;

export const detachBody = z.strictObject({
  as: prefix.optional(),
  dropData: z.boolean().optional().meta({ description: "also drop the attachment's database / vhost / keys (needs confirm)" }),
  confirm: z.string().max(63).optional().meta({ description: 'the service name again, required with dropData' }),
});
export type DetachBody = z.input<typeof detachBody>;

/** An attach, rotate or detach also says which release it rolled (null: nothing runs, or a deploy is in flight). */
export const attachmentChangeSchema = z.object({ attachment: attachmentSchema, deployment: deploymentRef });
export type AttachmentChange = z.output<typeof attachmentChangeSchema>;

export const backupSchema = z
  .object({
    id: z.string(),
    service: z.string(),
    kind: z.enum(serviceKinds),
    project: z.string(),
    environment: z.string(),
    as: z.string().nullable(),
    size: z.number().int().meta({ description: 'bytes of the dump' }),
    sha256: z.string().meta({ description: 'SHA-256 (hex) of the dump' }),
    release: z.number().int().nullable().meta({ description: "the environment's running release when it was taken" }),
    createdAt: timestamp,
    createdBy: z.string().nullable(),
    trigger: backupTriggerSchema,
  })
  .meta({ id: 'ServiceBackup', description: "a logical backup of one attachment's data, kept in the server's data directory" });
export type BackupInfo = z.output<typeof backupSchema>;

export const backupListSchema = z.object({ backups: z.array(backupSchema) });
export type BackupList = z.output<typeof backupListSchema>;

export const backupParam = z.object({ service: nameSchema('service'), backup: z.string().min(1).max(64) });
export const backupQuery = z.object({ as: prefix.optional() });
export const backupBody = z.strictObject({ as: prefix.optional() });
export type BackupBody = z.input<typeof backupBody>;
export const restoreBody = z.strictObject({
  as: prefix.optional(),
  fromDetached: z.boolean().optional().meta({ description: "true: the backup may be one of the same service whose attachment is gone (detached, or its environment deleted); its data is loaded into this attachment (keys re-keyed to its prefix, definitions moved to its vhost, objects owned by its role). Without it such a backup is refused (SLW_BACKUP_INVALID). A backup of another attachment that is still attached is always refused" }),
});
export type RestoreBody = z.input<typeof restoreBody>;

/** A backup as the service's list shows it: also those whose attachment is gone (detached, or its environment deleted). */
export const serviceBackupSchema = z
  .object({
    id: z.string(),
    service: z.string(),
    kind: z.enum(serviceKinds),
    project: z.string().nullable().meta({ description: 'the project it was taken in, as it was named then (null: a backup older than this record whose environment was already gone)' }),
    environment: z.string().nullable().meta({ description: 'the environment it was taken in, as it was named then (null: not recorded, see project)' }),
    as: z.string().nullable(),
    resource: z.string().nullable().meta({ description: "the attachment's database, vhost or key prefix on the server (null: not recorded)" }),
    attachment: z.enum(['attached', 'detaching', 'detached']).meta({ description: 'detached: its attachment is gone (detached, or its environment deleted); only this list and DELETE …/services/{service}/backups/{backup} still reach it' }),
    size: z.number().int().meta({ description: 'bytes of the dump' }),
    sha256: z.string().meta({ description: 'SHA-256 (hex) of the dump' }),
    release: z.number().int().nullable().meta({ description: "the environment's running release when it was taken" }),
    createdAt: timestamp,
    createdBy: z.string().nullable(),
    neededBy: z.string().nullable().meta({ description: 'what may still restore it (an unfinished herd upgrade, a failed revert, a running service upgrade): it cannot be removed until that has ended' }),
    trigger: backupTriggerSchema,
  })
  .meta({ id: 'ServiceBackupRecord', description: "a backup of one of the service's attachments, whether or not the attachment still exists" });
export type ServiceBackupInfo = z.output<typeof serviceBackupSchema>;

export const serviceBackupListSchema = z.object({ backups: z.array(serviceBackupSchema), totalBytes: z.number().int().meta({ description: 'bytes of the dumps listed' }) });
export type ServiceBackupList = z.output<typeof serviceBackupListSchema>;

export const serviceBackupsQuery = z.strictObject({
  detached: z.enum(['true', 'false']).optional().meta({ description: 'true: only the backups whose attachment is gone' }),
});

export const restoreOriginSchema = z
  .object({
    attachment: z.string().meta({ description: 'the id of the attachment it was taken of (the one its file is signed for)' }),
    state: z.enum(['detaching', 'detached']),
    project: z.string().nullable(),
    environment: z.string().nullable(),
    as: z.string().nullable(),
    resource: z.string().meta({ description: 'the database, key prefix or vhost it was taken of' }),
  })
  .meta({ id: 'RestoreOrigin', description: 'where a backup whose attachment is gone was taken, as recorded then' });

export const restoreSchema = z.object({
  /** The backup, with the attachment it was restored into (project, environment, as). */
  backup: backupSchema,
  from: restoreOriginSchema.nullable().meta({ description: "null: the attachment's own backup; else where the backup was taken (fromDetached)" }),
  durationMs: z.number().int(),
});
export type RestoreResult = z.output<typeof restoreSchema>;

export const upgradeBody = z.strictObject({
  image: text(300, "the new image (PROJECT:TAG or PROJECT@sha256:… in this workspace's registry), pinned by digest"),
  withoutBackup: z.boolean().optional().meta({ description: 'custom services only (Slipway cannot back them up): go ahead without a backup' }),
});
export type UpgradeBody = z.input<typeof upgradeBody>;

/** An upgrade that succeeded: the record, the backups taken first, and how long the service was not ready. */
export const upgradeResultSchema = z.object({
  service: serviceSchema,
  upgrade: upgradeSchema,
  backups: z.array(backupSchema),
  downMs: z.number().int().meta({ description: 'from stopping the previous server to the new one answering' }),
});
export type UpgradeResult = z.output<typeof upgradeResultSchema>;
