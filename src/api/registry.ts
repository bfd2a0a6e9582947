/** API shapes: a project's images and registry policy, garbage collection, and credentials for other registries. */
import { z } from 'zod';
import { timestamp } from './common.js';

export const imageSchema = z
  .object({
    digest: z.string(),
    mediaType: z.string(),
    size: z.number().int(),
    version: z.string().nullable(),
    tags: z.array(z.string()),
    artifactDigest: z.string().nullable(),
    createdAt: timestamp,
    environments: z.array(z.string()),
  })
  .meta({ id: 'Image' });
export type Image = z.output<typeof imageSchema>;

export const imageListSchema = z.object({ repository: z.string(), images: z.array(imageSchema) });
export type ImageList = z.output<typeof imageListSchema>;

export const policySchema = z.object({ repository: z.string(), keepVersions: z.number().int(), protectedTags: z.array(z.string()) }).meta({ id: 'RegistryPolicy' });
export type RegistryPolicy = z.output<typeof policySchema>;

const tagPattern = z.string().regex(/^[A-Za-z0-9_.*-]{1,128}$/, 'a tag pattern: tag characters and * as wildcard');
export const policyBody = z.strictObject({ keepVersions: z.number().int().min(1).max(10_000).optional(), protectedTags: z.array(tagPattern).max(50).optional() });
export type PolicyBody = z.input<typeof policyBody>;

export const gcBody = z.strictObject({ dryRun: z.boolean().default(false), graceSeconds: z.number().int().min(0).max(30 * 86400).default(3600) });
export type GcBody = z.input<typeof gcBody>;

export const gcReportSchema = z
  .object({
    dryRun: z.boolean(),
    images: z.array(z.object({ repository: z.string(), digest: z.string(), tags: z.array(z.string()) })),
    kept: z.array(z.object({ repository: z.string(), digest: z.string(), reason: z.string() })),
    links: z.number().int(),
    blobs: z.object({ count: z.number().int(), bytes: z.number().int() }),
    uploads: z.number().int(),
  })
  .meta({ id: 'GcReport' });
export type GcReport = z.output<typeof gcReportSchema>;

export const credentialSchema = z.object({ host: z.string(), username: z.string(), createdAt: timestamp, updatedAt: timestamp }).meta({ id: 'RegistryCredential', description: 'a registry credential without its password' });
export type RegistryCredential = z.output<typeof credentialSchema>;

export const credentialListSchema = z.object({ credentials: z.array(credentialSchema) });
export type CredentialList = z.output<typeof credentialListSchema>;

export const credentialHostParam = z.object({ host: z.string().min(1).max(270) });

export const credentialBody = z.strictObject({ username: z.string().min(1).max(256), password: z.string().min(1).max(16_384).meta({ description: 'never returned' }) });
export type CredentialBody = z.input<typeof credentialBody>;

export const credentialRemovedSchema = z.object({ host: z.string(), removed: z.literal(true) });
export type CredentialRemoved = z.output<typeof credentialRemovedSchema>;
