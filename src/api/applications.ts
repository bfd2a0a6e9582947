/** API shapes: applications (versioned products backed by a project) and their versions. */
import { z } from 'zod';
import { nameSchema, timestamp } from './common.js';

export const continuousOptionsSchema = z
  .object({
    canary: z.number().int().meta({ description: 'sites upgraded alone first' }),
    batch: z.string().meta({ description: 'sites per wave after the canaries: a number or a share (25%)' }),
    parallel: z.number().int().meta({ description: 'sites upgraded at once' }),
    bakeSeconds: z.number().meta({ description: "each site's bake (health gate) after its switch; 0: none of its own" }),
    failureBudget: z.string().meta({ description: 'failures tolerated (a number or a share); one more halts the upgrade' }),
    custom: z.boolean().meta({ description: 'false: the defaults (1 canary, 25%, 5 at once, 10 s bake, budget 0)' }),
  })
  .meta({ id: 'ContinuousOptions', description: "how the application's automatic upgrades (sites with the continuous policy) move" });
export type ContinuousOptionsInfo = z.output<typeof continuousOptionsSchema>;

export const applicationSchema = z
  .object({
    name: z.string(),
    workspace: z.string(),
    project: z.string().meta({ description: 'the project whose repository holds its images' }),
    source: z.enum(['project', 'upstream']),
    upstream: z.string().nullable().meta({ description: 'registry/repository watched for semver tags' }),
    pollSeconds: z.number().int().nullable(),
    latest: z.string().nullable().meta({ description: 'the highest stable version' }),
    versions: z.number().int(),
    lastPolledAt: timestamp.nullable(),
    lastError: z.string().nullable(),
    notifyUrl: z.string().nullable().meta({ description: 'where its notifications are POSTed, signed (X-Slipway-Signature); null: nowhere' }),
    continuous: continuousOptionsSchema,
    createdAt: timestamp,
  })
  .meta({ id: 'Application' });
export type Application = z.output<typeof applicationSchema>;

export const applicationListSchema = z.object({ applications: z.array(applicationSchema) });
export type ApplicationList = z.output<typeof applicationListSchema>;

export const applicationVersionSchema = z
  .object({
    version: z.string(),
    digest: z.string(),
    class: z.enum(['major', 'minor', 'patch', 'prerelease', 'first']).meta({ description: 'against the previous release (a pre-release: the version just below it)' }),
    channel: z.string().meta({ description: 'stable, or the first pre-release identifier (beta, rc…)' }),
    stable: z.boolean(),
    latest: z.boolean(),
    discoveredAt: timestamp,
  })
  .meta({ id: 'ApplicationVersion' });
export type ApplicationVersion = z.output<typeof applicationVersionSchema>;

export const applicationVersionListSchema = z.object({ application: z.string(), latest: z.string().nullable(), versions: z.array(applicationVersionSchema) });
export type ApplicationVersionList = z.output<typeof applicationVersionListSchema>;

export const applicationParam = z.object({ application: nameSchema('project') });

export const createApplicationBody = z.strictObject({
  name: nameSchema('project'),
  fromProject: nameSchema('project').optional(),
  upstream: z.string().min(1).max(1024).optional().meta({ description: 'registry/repository (no tag) whose semver tags are imported' }),
  pollSeconds: z.number().int().optional().meta({ description: 'seconds between polls of the upstream (30 s to 7 days; default 300)' }),
});
export type CreateApplicationBody = z.input<typeof createApplicationBody>;

export const versionsQuery = z.strictObject({ channel: z.string().regex(/^[a-z0-9-]{1,40}$/).optional().meta({ description: 'only this channel (stable, beta, rc…)' }) });

export const pollResultSchema = z.object({
  imported: z.array(z.object({ version: z.string(), digest: z.string() })),
  failed: z.array(z.object({ version: z.string(), error: z.string() })),
  pending: z.number().int().meta({ description: 'new versions left for the next poll' }),
});
export type PollResult = z.output<typeof pollResultSchema>;
