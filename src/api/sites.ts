/** API shapes: an application's sites (its environments, one per customer) with their labels, channel, policy and state. */
import { z } from 'zod';
import { sitePolicies } from '../core/sites.js';
import { nameSchema, timestamp } from './common.js';
import { deploymentSchema } from './deploy.js';
import { promotionSchema } from './promotions.js';

const labels = z.record(z.string().max(253), z.string().max(1024)).meta({ description: 'labels: key → value (keys lowercase letters, digits, . and -, optional prefix/; values 1-128 of letters, digits, . _ - +; at most 32)' });

export const siteSchema = z
  .object({
    name: z.string(),
    application: z.string(),
    project: z.string().meta({ description: "the application's project, where the site is an environment of the same name" }),
    labels: z.record(z.string(), z.string()),
    channel: z.string().meta({ description: 'stable, or a pre-release channel (beta, rc…): which versions count as its latest' }),
    policy: z.enum(sitePolicies),
    window: z.string().nullable().meta({ description: 'maintenance window: a five-field cron expression (UTC) of the minutes an automatic upgrade may start it in; null when any time will do' }),
    version: z.string().nullable().meta({ description: 'the version of its running release; null before its first deploy' }),
    release: z.number().int().nullable(),
    domain: z.string(),
    health: z.enum(['healthy', 'degraded', 'down', 'not-deployed', 'unknown']),
    state: z.enum(['healthy', 'degraded', 'down', 'not-deployed', 'unknown', 'deploying']).meta({ description: 'deploying while a deploy is queued or running, else its health' }),
    deploying: z.object({ id: z.string(), releaseNumber: z.number().int(), status: z.string(), phase: z.string() }).nullable(),
    replicas: z.object({ running: z.number().int(), ready: z.number().int(), desired: z.number().int() }),
    createdAt: timestamp,
  })
  .meta({ id: 'Site' });
export type Site = z.output<typeof siteSchema>;

export const siteListSchema = z.object({ application: z.string(), sites: z.array(siteSchema) });
export type SiteList = z.output<typeof siteListSchema>;

export const siteParam = z.object({ application: nameSchema('project'), site: nameSchema('environment') });

export const siteListQuery = z.strictObject({
  sites: z.string().max(2048).optional().meta({ description: 'a selector: comma-separated key=value, key=a|b, key!=value, key, !key over labels and name, version, channel' }),
});

export const versionSitesQuery = z.strictObject({
  names: z.coerce.number().int().min(0).max(500).default(50).meta({ description: 'site names listed per version, in name order (the count is always whole)' }),
});

export const versionSitesSchema = z
  .object({
    application: z.string(),
    total: z.number().int().meta({ description: 'every site of the application' }),
    versions: z.array(
      z.object({
        version: z.string().nullable().meta({ description: 'a version the sites run; null: the sites on no version yet' }),
        sites: z.number().int(),
        names: z.array(z.string()).meta({ description: 'the first `names` of them, in name order' }),
      }),
    ).meta({ description: 'only versions some site runs: semantic versions highest first, other tags, then the sites on none' }),
  })
  .meta({ id: 'VersionSites' });
export type VersionSites = z.output<typeof versionSitesSchema>;

export const createSiteBody = z.strictObject({
  name: nameSchema('environment'),
  version: z.string().min(1).max(128).optional().meta({ description: 'the version to deploy (default: the latest on its channel)' }),
  labels: labels.optional(),
  channel: z.string().max(64).optional().meta({ description: 'default stable' }),
  policy: z.enum(sitePolicies).optional().meta({ description: 'default manual' }),
  window: z.string().max(200).nullable().optional().meta({ description: 'a five-field cron expression (UTC)' }),
  deploy: z.boolean().optional().meta({ description: 'false: create it without deploying (default true)' }),
});
export type CreateSiteBody = z.input<typeof createSiteBody>;

export const siteCreatedSchema = z.object({
  site: siteSchema,
  version: z.string().nullable().meta({ description: 'the version its creation deploys' }),
  deployment: deploymentSchema.nullable(),
  approval: promotionSchema.nullable().meta({ description: 'the request waiting for approval (or its pipeline gate), when the environment has one' }),
  note: z.string().nullable().meta({ description: 'why nothing was deployed, when nothing was' }),
});
export type SiteCreated = z.output<typeof siteCreatedSchema>;

export const updateSiteBody = z.strictObject({
  labels: z.strictObject({ set: labels.optional(), unset: z.array(z.string().max(253)).max(64).optional() }).optional(),
  channel: z.string().max(64).optional(),
  policy: z.enum(sitePolicies).optional(),
  window: z.string().max(200).nullable().optional().meta({ description: 'a five-field cron expression (UTC); null removes the window' }),
});
export type UpdateSiteBody = z.input<typeof updateSiteBody>;
