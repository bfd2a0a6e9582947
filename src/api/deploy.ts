/** API shapes: deployments, deploy and rollback requests, scaling, and each environment's status. */
import { z } from 'zod';
import { deploymentStatuses, maxReplicas } from '../core/deploy.js';
import { logsPrunedAt, maxStoredInt, timestamp } from './common.js';
import { approvalFlags, healthGateViewSchema, promotionSchema } from './promotions.js';

export const deploymentSchema = z
  .object({
    id: z.string(),
    environment: z.string(),
    kind: z.enum(['release', 'scale']).meta({ description: 'release: rolls out a new release; scale: changes the replicas of the release that runs' }),
    releaseNumber: z.number().int(),
    status: z.enum(deploymentStatuses),
    phase: z.string(),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    error: z.string().nullable(),
    supersededBy: z.string().nullable(),
    logsPrunedAt,
  })
  .meta({ id: 'Deployment' });
export type Deployment = z.output<typeof deploymentSchema>;

/** One deployment looked up by id also names its project. */
export const deploymentInProjectSchema = deploymentSchema.extend({ project: z.string(), healthGate: healthGateViewSchema.nullable().optional().meta({ description: 'the health gate that watches (or watched) the release this deployment switched to' }) });
export type DeploymentInProject = z.output<typeof deploymentInProjectSchema>;

export const deploymentParam = z.object({ deployment: z.string().max(64) });

export const supersededSchema = z.object({ id: z.string(), releaseNumber: z.number().int(), status: z.enum(['cancelled', 'cancelling']) }).nullable().meta({ description: 'the deployment this request superseded: cancelled before it started, or being ended (undone before its traffic switch, completed after it)' });
export type Superseded = z.output<typeof supersededSchema>;

/** What a deploy or rollback request answers: its deployment, or the request waiting for approval. */
export const startedSchema = z.object({
  deployment: deploymentSchema.nullable().meta({ description: 'null while the request waits for approval' }),
  releaseNumber: z.number().int().nullable(),
  approval: promotionSchema.nullable().meta({ description: 'the request waiting for approval, when the environment requires it' }),
  superseded: supersededSchema,
});
export type Started = z.output<typeof startedSchema>;

/** What promoting, approving or rejecting answers: the request, and its deployment once one started. */
export const promotionStartedSchema = z.object({ promotion: promotionSchema, deployment: deploymentSchema.nullable(), superseded: supersededSchema });
export type PromotionStarted = z.output<typeof promotionStartedSchema>;

export const deployBody = z.strictObject({
  version: z.string().min(1).max(128).optional(),
  digest: z.string().max(71).optional(),
  supersede: z.boolean().optional().meta({ description: 'end a deployment in progress instead of refusing (undone before its traffic switch, completed after it)' }),
  ...approvalFlags,
});
export type DeployBody = z.input<typeof deployBody>;

export const rollbackBody = z.strictObject({ to: z.number().int().min(1).max(maxStoredInt).optional(), ...approvalFlags });
export type RollbackBody = z.input<typeof rollbackBody>;

export const scaleBody = z.strictObject({ replicas: z.number().int().min(1).max(maxReplicas) });
export type ScaleBody = z.input<typeof scaleBody>;

export const scaleStartedSchema = z.object({ deployment: deploymentSchema });
export type ScaleStarted = z.output<typeof scaleStartedSchema>;

export const environmentStatusSchema = z.object({
  name: z.string(),
  domain: z.string(),
  target: z.string(),
  release: z
    .object({ number: z.number().int(), version: z.string().nullable(), imageDigest: z.string(), configVersion: z.number().int(), finishedAt: timestamp.nullable(), trigger: z.string(), actor: z.string().nullable().meta({ description: 'e-mail of the user who made the release' }) })
    .nullable(),
  replicas: z.object({ running: z.number().int(), ready: z.number().int(), desired: z.number().int(), observedAt: timestamp.nullable(), message: z.string().nullable().optional().meta({ description: 'why not every replica is ready, as last observed' }) }).meta({ description: 'as the engine last observed them (after each deploy, and every 30 s)' }),
  health: z.enum(['healthy', 'degraded', 'down', 'not-deployed', 'unknown']),
  deploying: deploymentSchema.nullable(),
  healthGate: healthGateViewSchema.nullable().optional().meta({ description: 'the environment’s latest health gate (baking now, or how the last one ended)' }),
});
export type EnvironmentStatus = z.output<typeof environmentStatusSchema>;

export const projectStatusSchema = z.object({ environments: z.array(environmentStatusSchema) });
export type ProjectStatus = z.output<typeof projectStatusSchema>;
