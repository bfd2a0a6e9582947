/** API shapes: herd upgrades of an application's sites (waves, each site's step) and their plans. */
import { z } from 'zod';
import { herdStates, siteSteps } from '../core/herd.js';
import { logsPrunedAt, nameSchema, timestamp } from './common.js';

export const herdUpgradeBody = z.strictObject({
  to: z.string().min(1).max(128).meta({ description: 'the version to move the sites to' }),
  sites: z.string().min(1).max(2000).optional().meta({ description: 'a site selector: k=v, k!=v, k=a|b, k, !k (keys: labels, name, version, channel); default every site' }),
  canary: z.number().int().min(0).max(1000).optional().meta({ description: 'sites upgraded alone first (default 1)' }),
  batch: z.string().regex(/^\d{1,6}%?$/).optional().meta({ description: 'sites per wave after the canaries: N or P% (default 25%)' }),
  parallel: z.number().int().min(1).max(50).optional().meta({ description: 'sites worked on at once (default 5)' }),
  bake: z.string().max(16).optional().meta({ description: 'health gate after each site switches: 30s, 5m; 0 for none (default 30s)' }),
  failureBudget: z.string().regex(/^\d{1,6}%?$/).optional().meta({ description: 'failed sites tolerated, N or P%; one more halts the upgrade (default 0)' }),
  window: z.string().min(1).max(200).optional().meta({ description: 'cron expression of the minutes (UTC) sites may start in' }),
  allowDowngrade: z.boolean().optional(),
  dryRun: z.boolean().optional().meta({ description: 'answer the plan, store nothing' }),
});
export type HerdUpgradeBody = z.input<typeof herdUpgradeBody>;

const optionsSchema = z.object({ canary: z.number().int(), batch: z.string(), parallel: z.number().int(), bakeSeconds: z.number(), failureBudget: z.string(), window: z.string().nullable(), allowDowngrade: z.boolean(), revertOnAbort: z.boolean().optional() });

export const herdPlanSchema = z
  .object({
    application: z.string(),
    to: z.string(),
    waves: z.array(z.object({ index: z.number().int(), kind: z.enum(['canary', 'batch']), sites: z.array(z.string()) })),
    skipped: z.array(z.string()).meta({ description: 'selected sites already on the version' }),
    failureBudget: z.number().int(),
    options: optionsSchema,
  })
  .meta({ id: 'HerdPlan' });
export type HerdPlan = z.output<typeof herdPlanSchema>;

export const herdSiteSchema = z.object({
  site: z.string(),
  wave: z.number().int().meta({ description: '-1: skipped (already on the version)' }),
  step: z.enum(siteSteps),
  fromVersion: z.string().nullable(),
  error: z.string().nullable(),
  clone: z.string().nullable().meta({ description: "a staged site's clone environment, while it exists" }),
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
});

export const herdUpgradeSchema = z
  .object({
    id: z.string(),
    application: z.string(),
    to: z.string(),
    state: z.enum(herdStates),
    trigger: z.string(),
    reason: z.string().nullable(),
    selector: z.string().nullable(),
    options: optionsSchema,
    failureBudget: z.number().int(),
    failures: z.number().int(),
    wave: z.number().int().nullable(),
    waves: z.array(z.object({ index: z.number().int(), kind: z.enum(['canary', 'batch']), sites: z.number().int(), steps: z.record(z.string(), z.number().int()) })),
    sites: z.array(herdSiteSchema),
    createdAt: timestamp,
    updatedAt: timestamp,
    finishedAt: timestamp.nullable(),
    logsPrunedAt,
  })
  .meta({ id: 'HerdUpgrade' });
export type HerdUpgrade = z.output<typeof herdUpgradeSchema>;

export const herdUpgradeListSchema = z.object({ upgrades: z.array(herdUpgradeSchema.omit({ sites: true })) });
export type HerdUpgradeList = z.output<typeof herdUpgradeListSchema>;

export const upgradeParam = z.object({ upgrade: z.string().max(64) });
export const upgradeSiteParam = z.object({ upgrade: z.string().max(64), site: nameSchema('environment') });
export const abortBody = z.strictObject({ revert: z.boolean().optional().meta({ description: 'also move every site it finished back (previous release, backups restored: data written since is lost)' }) });

export const herdSiteEventsSchema = z.object({ upgrade: z.string(), site: z.string(), events: z.array(z.object({ at: timestamp, step: z.string(), message: z.string() })), logsPrunedAt });
export type HerdSiteEvents = z.output<typeof herdSiteEventsSchema>;
