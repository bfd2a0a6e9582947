/** API shapes: an application's notifications, its notify URL (outgoing webhook), and its upstream hook. */
import { z } from 'zod';
import { applicationSchema } from './applications.js';
import { timestamp } from './common.js';

export const notificationSchema = z
  .object({
    id: z.string().meta({ description: 'also the webhook delivery id (X-Slipway-Delivery): receivers de-duplicate on it' }),
    kind: z.string().meta({ description: 'version, upgrade or approval' }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).meta({ description: 'version: {version, class, sites (at most 50 names), siteCount, more}' }),
    createdAt: timestamp,
    webhook: z.object({
      state: z.enum(['pending', 'sent', 'failed']).nullable().meta({ description: 'null: the application had no notify URL then' }),
      error: z.string().nullable().meta({ description: "why the last attempt failed, one line (never the receiver's answer)" }),
      attempts: z.number().int(),
    }),
  })
  .meta({ id: 'ApplicationNotification' });
export type Notification = z.output<typeof notificationSchema>;

export const notificationListSchema = z.object({ application: z.string(), notifyUrl: z.string().nullable(), notifications: z.array(notificationSchema) });
export type NotificationList = z.output<typeof notificationListSchema>;

export const notificationListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).optional().meta({ description: 'newest first, at most this many (default 100)' }) });

export const updateApplicationBody = z.strictObject({
  notifyUrl: z.string().min(1).max(4096).nullable().optional().meta({ description: 'where notifications are POSTed (http or https; internal hosts only as the instance admin allows); null removes it and its secret' }),
  notifySecret: z.string().min(16).max(256).optional().meta({ description: 'the HMAC key to sign them with; absent: Slipway makes one when none is set, and answers it once' }),
  rotateNotifySecret: z.boolean().optional().meta({ description: 'make a new notify secret (answered once)' }),
  continuous: z
    .strictObject({
      canary: z.number().int().optional(),
      batch: z.string().max(16).optional(),
      parallel: z.number().int().optional(),
      bake: z.union([z.string().max(32), z.number()]).optional().meta({ description: '30s, 2m, 1h, or seconds; 0: none' }),
      failureBudget: z.string().max(16).optional(),
    })
    .nullable()
    .optional()
    .meta({ description: 'how automatic upgrades move: the fields given change, the others stay; null: back to the defaults' }),
});
export type UpdateApplicationBody = z.input<typeof updateApplicationBody>;

export const updateApplicationAnswerSchema = z.object({
  application: applicationSchema,
  notifySecret: z.string().nullable().meta({ description: 'the secret Slipway just made (shown this once); null when kept or given' }),
});
export type UpdateApplicationAnswer = z.output<typeof updateApplicationAnswerSchema>;

export const appHookSchema = z
  .object({
    id: z.string(),
    application: z.string(),
    path: z.string(),
    createdAt: timestamp,
    rotatedAt: timestamp.nullable(),
    calls: z.number().int().meta({ description: 'calls that passed verification' }),
    lastCalledAt: timestamp.nullable(),
    failedVerifications: z.number().int().meta({ description: 'calls refused for a bad or missing signature or bearer secret' }),
    lastFailedAt: timestamp.nullable(),
  })
  .meta({ id: 'ApplicationHook' });
export type AppHook = z.output<typeof appHookSchema>;

export const appHookStatusSchema = z.object({ hook: appHookSchema.nullable(), url: z.string().nullable() });
export type AppHookStatus = z.output<typeof appHookStatusSchema>;

export const appHookAnswerSchema = z.object({ hook: appHookSchema, url: z.string(), secret: z.string().nullable().meta({ description: 'only when just made (created or rotated)' }), created: z.boolean() });
export type AppHookAnswer = z.output<typeof appHookAnswerSchema>;

export const putAppHookBody = z.strictObject({ rotate: z.boolean().optional() });
export type PutAppHookBody = z.input<typeof putAppHookBody>;

/** What the hook endpoint answers (202). */
export const appHookReceiptSchema = z.object({ status: z.enum(['polling', 'coalesced', 'ignored']), message: z.string() });
export type AppHookReceipt = z.output<typeof appHookReceiptSchema>;
