/**
 * API shapes: the data of the server-sent events the API streams (one JSON object per event).
 *
 * - a deployment's log (`…/deployments/{id}/events`): `log` events, `id` = the event's sequence
 *   number (resume with Last-Event-ID), then one `end`;
 * - an environment's runtime output (`…/environments/{env}/logs`): `log` events, then `end`, or
 *   `error` when reading the output failed;
 * - a workspace's changes (`…/workspaces/{ws}/events`): `change` events (a deployment, a
 *   promotion, a herd upgrade or a service that changed; `resync` when some may have been
 *   missed), live only.
 *
 * @module
 */
import { z } from 'zod';
import { herdStates } from '../core/herd.js';
import { logsPrunedAt, timestamp } from './common.js';

export const deployLogSchema = z.object({ at: timestamp, level: z.string(), step: z.string(), message: z.string() });
export type DeployLog = z.output<typeof deployLogSchema>;

export const deployEndSchema = z.object({ status: z.string(), error: z.string().nullable(), logsPrunedAt });
export type DeployEnd = z.output<typeof deployEndSchema>;

export const runtimeLineSchema = z.object({ replica: z.string(), stream: z.enum(['stdout', 'stderr']), line: z.string() });
export type RuntimeLine = z.output<typeof runtimeLineSchema>;

export const runtimeEndSchema = z.object({ replicas: z.number().int(), reason: z.string() });
export type RuntimeEnd = z.output<typeof runtimeEndSchema>;

export const streamErrorSchema = z.object({ message: z.string() });
export type StreamError = z.output<typeof streamErrorSchema>;

/** A deployment or a promotion that changed state. */
export const deploymentChangeSchema = z.object({
  kind: z.enum(['deployment', 'promotion']),
  id: z.string(),
  project: z.string(),
  environment: z.string().meta({ description: "the target environment (a promotion's `to`)" }),
  status: z.string().meta({ description: "a deployment's status (queued … failed) or a promotion's (pending-approval … failed)" }),
  at: timestamp,
});
export type DeploymentChange = z.output<typeof deploymentChangeSchema>;

/**
 * A herd upgrade that changed: its state, or a step or a log line of one of its sites. Announced
 * at most about four times a second per upgrade, each time with its state as it is then (the
 * last one always with the state it ended in).
 */
export const upgradeChangeSchema = z.object({
  kind: z.literal('upgrade'),
  id: z.string().meta({ description: 'the herd upgrade' }),
  application: z.string(),
  status: z.enum(herdStates).meta({ description: "the upgrade's state" }),
  finished: z.boolean().meta({ description: 'whether it has ended: nothing in flight and nothing will start (an aborted or halted upgrade ends once its sites in flight have)' }),
  at: timestamp,
});
export type UpgradeChange = z.output<typeof upgradeChangeSchema>;

/** What happened to a service ({@link serviceChangeSchema}'s `change`). */
export const serviceChangeKinds = ['created', 'removed', 'attached', 'rotated', 'detaching', 'detached', 'backed-up', 'backup-removed', 'backup-scheduled', 'backup-failed', 'restored', 'upgrading', 'upgraded', 'health'] as const;
export type ServiceChangeKind = (typeof serviceChangeKinds)[number];

/**
 * A service that changed, announced once its change is stored: created or removed, attached,
 * rotated, detached (`detaching` when asked, `detached` when the services sweep has revoked its
 * credentials and the attachment is gone), a backup taken, removed or restored, an attachment's
 * backup schedule set or removed (`backup-scheduled`), a scheduled backup failed (`backup-failed`), an upgrade of a
 * provisioned service started or ended, a provisioned service's health changed (`health`, with
 * the new health as `status`: only transitions, as the server's health watch sees them every few
 * seconds). Attachment and backup changes name the attachment's project and environment.
 */
export const serviceChangeSchema = z.object({
  kind: z.literal('service'),
  name: z.string().meta({ description: 'the service' }),
  change: z.enum(serviceChangeKinds),
  project: z.string().optional().meta({ description: "the attachment's project (attachment and backup changes; absent when the environment was deleted)" }),
  environment: z.string().optional().meta({ description: "the attachment's environment (as `project`)" }),
  status: z.string().optional().meta({ description: "an upgrade's status (`upgrading`: running; `upgraded`: succeeded, rolled-back, failed, interrupted or aborted), or a provisioned service's new health (`health`: ready, starting, failed, stopped or unknown)" }),
  at: timestamp,
});
export type ServiceChange = z.output<typeof serviceChangeSchema>;

/** What happened to an environment's volume ({@link volumeChangeSchema}'s `change`). */
export const volumeChangeKinds = ['backed-up', 'backup-removed', 'restored', 'backup-scheduled', 'backup-failed'] as const;

/** A backup of an environment's volume taken, removed (by hand, by --keep-backups or a schedule's keep) or restored (`restored`: the new generation recorded, its release requested); its backup schedule set or removed, or its last slot's outcome stored (`backup-scheduled`); a scheduled backup failed (`backup-failed`). */
export const volumeChangeSchema = z.object({
  kind: z.literal('volume'),
  project: z.string(),
  environment: z.string(),
  volume: z.string().meta({ description: "the volume's name in the environment" }),
  change: z.enum(volumeChangeKinds),
  at: timestamp,
});
export type VolumeChange = z.output<typeof volumeChangeSchema>;

/**
 * Changes may have been missed: the server's link to the other control planes of its PostgreSQL
 * store dropped and is back (changes made through them meanwhile were not relayed). A client
 * reads again what it shows, as when its own stream reopens.
 */
export const resyncChangeSchema = z.object({
  kind: z.literal('resync'),
  at: timestamp,
});
export type ResyncChange = z.output<typeof resyncChangeSchema>;

/** One change of a workspace's change stream, told apart by `kind`. */
export const workspaceChangeSchema = z.discriminatedUnion('kind', [deploymentChangeSchema, upgradeChangeSchema, serviceChangeSchema, volumeChangeSchema, resyncChangeSchema]);
export type WorkspaceChange = z.output<typeof workspaceChangeSchema>;

/** The streams as the OpenAPI document describes them (a `text/event-stream` body, not JSON). */
export const deployLogStream = z.unknown().meta({ description: 'text/event-stream: `event: log` with {step, level, message, at}, then `event: end` with {status, error, logsPrunedAt} (logsPrunedAt: when log retention removed its lines, or null)' });
export const workspaceChangeStream = z.unknown().meta({
  description:
    'text/event-stream: `event: change` with {kind: deployment|promotion, id, project, environment, status, at} for each state change of a deployment or a promotion, and {kind: upgrade, id, application, status, finished, at} when a herd upgrade changes (its state, or a step or log line of a site; at most about 4 a second per upgrade, the last with the state it ended in), and {kind: service, name, change, project?, environment?, status?, at} when a service is created, removed, attached, rotated, detached (detaching, then detached once the sweep finished), backed up, a backup removed or restored, an upgrade of a provisioned service starts or ends, or the health of a provisioned service changes (change health, status the new health: ready, starting, failed, stopped or unknown; transitions only, seen within about 5 s). Deleting an environment announces detaching for each of its attachments. {kind: volume, project, environment, volume, change, at} when a backup of an environment volume is taken, removed (by hand or by --keep-backups) or restored. Changes made through any control plane of the same PostgreSQL store come on the stream of every control plane; {kind: resync, at} says changes may have been missed (the link of this server to the other control planes dropped and is back): read again what you show. Ignore kinds you do not know: more may come.',
});
export const runtimeLogStream = z.unknown().meta({ description: 'text/event-stream: `event: log` with {replica, stream, line}' });

export const runtimeLogQuery = z.strictObject({ tail: z.coerce.number().int().min(0).max(50).default(20) });
