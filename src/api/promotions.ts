/** API shapes: promotions and the other requests that wait for approval (deploys and rollbacks), and a promotion's preview. */
import { z } from 'zod';
import { promotionStatuses } from '../core/deploy.js';
import { healthGateStatuses } from '../core/gates.js';
import { timestamp } from './common.js';

export const healthGateViewSchema = z
  .object({
    id: z.string(),
    deploymentId: z.string().meta({ description: 'the deployment that switched traffic to the release' }),
    releaseNumber: z.number().int(),
    status: z.enum(healthGateStatuses).meta({ description: 'baking: watched now; passed; failed: rolled back (see rollbackDeploymentId); cancelled: a newer release replaced it first' }),
    bakeSeconds: z.number(),
    maxErrorRate: z.number(),
    path: z.string(),
    requests: z.number().int().meta({ description: 'requests through the edge measured so far: real traffic (the edge’s access log) and the gate’s probes' }),
    probes: z.number().int().meta({ description: 'of the requests: the gate’s own probes' }),
    errors: z.number().int().meta({ description: 'of those: 5xx, refused or timed out' }),
    errorRate: z.number(),
    replicas: z.number().int(),
    ready: z.number().int().nullable(),
    startedAt: timestamp,
    finishedAt: timestamp.nullable(),
    reason: z.string().nullable().meta({ description: 'why it failed or was cancelled; what it measured when it passed' }),
    rollbackDeploymentId: z.string().nullable(),
  })
  .meta({ id: 'HealthGateState' });

export const promotionGatesSchema = z
  .object({
    approval: z.object({
      required: z.boolean().meta({ description: 'the environment requires approval now' }),
      state: z.enum(['pending', 'approved', 'rejected', 'none']).meta({ description: 'none: no approval was given (not required, or skipped by an admin or owner: the audit log says which)' }),
      by: z.string().nullable(),
    }),
    pipeline: z
      .object({ pipeline: z.string(), runId: z.string(), status: z.string().meta({ description: 'the run’s status: queued, running, succeeded, failed, cancelled, timed-out' }), error: z.string().nullable() })
      .nullable()
      .meta({ description: 'the pipeline gate’s run against the candidate image; null before it was triggered or without a pipeline gate' }),
    health: healthGateViewSchema.nullable().meta({ description: 'the health gate of the deploy this request started; null before its switch or without a health gate' }),
  })
  .meta({ id: 'PromotionGates', description: 'each gate of the request in order: approval, the pipeline against the candidate, then (after the switch) health' });

export const promotionSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['promotion', 'deploy', 'rollback']).meta({ description: 'what the request changes: a promotion from another environment, a direct deploy, or a rollback' }),
    project: z.string(),
    from: z.string(),
    to: z.string(),
    fromRelease: z.number().int(),
    imageDigest: z.string(),
    version: z.string().nullable(),
    status: z.enum(promotionStatuses),
    requestedBy: z.string().nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: timestamp.nullable(),
    reason: z.string().nullable(),
    deploymentId: z.string().nullable(),
    createdAt: timestamp,
    gates: promotionGatesSchema,
  })
  .meta({ id: 'Promotion' });
export type Promotion = z.output<typeof promotionSchema>;

export const promotionParam = z.object({ promotion: z.string().max(64) });

/** The flag of every request that may need approval. */
export const approvalFlags = {
  skipApproval: z.boolean().optional().meta({ description: 'admins and owners: deploy at once although the environment requires approval (recorded in the audit log)' }),
};

export const promoteBody = z.strictObject({ from: z.string().min(1).max(63), to: z.string().min(1).max(63), ...approvalFlags });
export type PromoteBody = z.input<typeof promoteBody>;

export const rejectBody = z.strictObject({ reason: z.string().max(500).optional() });
export type RejectBody = z.input<typeof rejectBody>;

export const promotionListQuery = z.strictObject({ status: z.enum(promotionStatuses).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });

export const promotionListSchema = z.object({ promotions: z.array(promotionSchema) });
export type PromotionList = z.output<typeof promotionListSchema>;

export const previewQuery = z.strictObject({ from: z.string().min(1).max(63), to: z.string().min(1).max(63) });

const previewSide = z.object({
  environment: z.string(),
  release: z.object({ number: z.number().int(), version: z.string().nullable(), imageDigest: z.string(), configVersion: z.number().int() }).nullable(),
});
const keyDiff = z.object({ onlyInFrom: z.array(z.string()), onlyInTo: z.array(z.string()), differ: z.array(z.string()) }).meta({ description: 'names only, sorted; never a value' });
export type KeyDiff = z.output<typeof keyDiff>;

export const promotionPreviewSchema = z.object({ from: previewSide, to: previewSide, imageChanges: z.boolean(), requiresApproval: z.boolean(), config: keyDiff, secrets: keyDiff });
export type PromotionPreview = z.output<typeof promotionPreviewSchema>;
