/** API shapes: releases and the audit log. */
import { z } from 'zod';
import { releaseStatuses, releaseTriggers } from '../core/releases.js';
import { maxStoredInt, timestamp } from './common.js';

export const releaseSchema = z
  .object({
    id: z.string(),
    number: z.number().int(),
    environment: z.string(),
    imageDigest: z.string(),
    version: z.string().nullable(),
    configVersion: z.number().int(),
    secretVersions: z.record(z.string(), z.number().int()),
    status: z.enum(releaseStatuses),
    trigger: z.enum(releaseTriggers),
    actor: z.object({ userId: z.string().nullable(), email: z.string().nullable(), tokenId: z.string().nullable() }),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    message: z.string().nullable(),
    volumes: z.array(z.object({ name: z.string(), path: z.string() })).meta({ description: 'the environment volumes it mounts (a rollback mounts the same as the release it returns to)' }),
  })
  .meta({ id: 'Release' });
export type Release = z.output<typeof releaseSchema>;

export const releaseListSchema = z.object({ releases: z.array(releaseSchema) });
export type ReleaseList = z.output<typeof releaseListSchema>;

export const releaseListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) });
export const releaseParam = z.object({ number: z.coerce.number().int().min(1).max(maxStoredInt) });

export const auditQuery = z.strictObject({
  action: z.string().max(100).optional().meta({ description: "exact action, or a prefix ending in '.*' (e.g. secret.*)" }),
  targetType: z.string().max(50).optional(),
  actor: z.string().max(320).optional().meta({ description: "actor's e-mail" }),
  since: z.iso.datetime({ offset: true }).optional(),
  before: z.string().max(100).optional().meta({ description: 'only events older than this event id (paging)' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const auditEventSchema = z.object({
  id: z.string(),
  at: timestamp,
  actor: z.object({ userId: z.string().nullable(), email: z.string().nullable(), tokenId: z.string().nullable(), tokenName: z.string().nullable() }),
  action: z.string(),
  targetType: z.string(),
  target: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEvent = z.output<typeof auditEventSchema>;

export const auditListSchema = z.object({ events: z.array(auditEventSchema) });
export type AuditList = z.output<typeof auditListSchema>;
