/** API shapes: promotions and the other requests that wait for approval (deploys and rollbacks), and a promotion's preview. */
import { z } from 'zod';
import { promotionStatuses } from '../core/deploy.js';
import { timestamp } from './common.js';

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
