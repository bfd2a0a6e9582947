/**
 * API shapes: the data of the server-sent events the API streams (one JSON object per event).
 *
 * - a deployment's log (`…/deployments/{id}/events`): `log` events, `id` = the event's sequence
 *   number (resume with Last-Event-ID), then one `end`;
 * - an environment's runtime output (`…/environments/{env}/logs`): `log` events, then `end`, or
 *   `error` when reading the output failed;
 * - a workspace's changes (`…/workspaces/{ws}/events`): `change` events, live only.
 *
 * @module
 */
import { z } from 'zod';
import { timestamp } from './common.js';

export const deployLogSchema = z.object({ at: timestamp, level: z.string(), step: z.string(), message: z.string() });
export type DeployLog = z.output<typeof deployLogSchema>;

export const deployEndSchema = z.object({ status: z.string(), error: z.string().nullable() });
export type DeployEnd = z.output<typeof deployEndSchema>;

export const runtimeLineSchema = z.object({ replica: z.string(), stream: z.enum(['stdout', 'stderr']), line: z.string() });
export type RuntimeLine = z.output<typeof runtimeLineSchema>;

export const runtimeEndSchema = z.object({ replicas: z.number().int(), reason: z.string() });
export type RuntimeEnd = z.output<typeof runtimeEndSchema>;

export const streamErrorSchema = z.object({ message: z.string() });
export type StreamError = z.output<typeof streamErrorSchema>;

export const workspaceChangeSchema = z.object({
  kind: z.enum(['deployment', 'promotion']),
  id: z.string(),
  project: z.string(),
  environment: z.string().meta({ description: "the target environment (a promotion's `to`)" }),
  status: z.string().meta({ description: "a deployment's status (queued … failed) or a promotion's (pending-approval … failed)" }),
  at: timestamp,
});
export type WorkspaceChange = z.output<typeof workspaceChangeSchema>;

/** The streams as the OpenAPI document describes them (a `text/event-stream` body, not JSON). */
export const deployLogStream = z.unknown().meta({ description: 'text/event-stream: `event: log` with {step, level, message, at}, then `event: end` with {status, error}' });
export const workspaceChangeStream = z.unknown().meta({ description: 'text/event-stream: `event: change` with {kind: deployment|promotion, id, project, environment, status, at}' });
export const runtimeLogStream = z.unknown().meta({ description: 'text/event-stream: `event: log` with {replica, stream, line}' });

export const runtimeLogQuery = z.strictObject({ tail: z.coerce.number().int().min(0).max(50).default(20) });
