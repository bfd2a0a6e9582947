/** API shapes: building an image from an uploaded artifact, reusing an earlier build, importing an image built elsewhere. */
import { z } from 'zod';
import { parseRuntime, runtimes } from '../core/runtimes.js';
import { coreChecked } from './common.js';

export const buildResultSchema = z
  .object({
    repository: z.string(),
    version: z.string(),
    digest: z.string(),
    mediaType: z.string(),
    tags: z.array(z.string()),
    runtime: z.enum(['java', 'static', 'node']),
    artifactDigest: z.string(),
    artifactBytes: z.number().int(),
    size: z.number().int(),
    base: z.object({ reference: z.string(), digest: z.string() }),
    newBlobs: z.number().int(),
    steps: z.array(z.object({ name: z.string(), ms: z.number() })),
  })
  .meta({ id: 'BuildResult' });
export type BuildResult = z.output<typeof buildResultSchema>;

/** `java`, `static` or `node`; anything else is SLW_RUNTIME_UNKNOWN (never looked up as given). */
const runtimeSchema = coreChecked(parseRuntime, { enum: [...runtimes], description: 'java, static or node; detected when absent' });

export const buildQuery = z.strictObject({
  version: z.string().min(1).max(128).meta({ description: 'the version tag (immutable)' }),
  runtime: runtimeSchema.optional(),
  base: z.string().min(1).max(512).optional().meta({ description: 'base image reference; a default per runtime when absent' }),
});
export type BuildQuery = z.input<typeof buildQuery>;

export const buildLookupBody = z.strictObject({
  version: z.string().min(1).max(128),
  artifactDigest: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'sha256:<64 hex>'),
  artifactBytes: z.number().int().min(1),
  runtime: runtimeSchema.optional(),
  base: z.string().min(1).max(512).optional(),
});
export type BuildLookupBody = z.input<typeof buildLookupBody>;

export const importBody = z.strictObject({
  source: z.string().min(1).max(1024).meta({ description: 'image reference, e.g. ghcr.io/acme/api:1.4.2 or …@sha256:…', examples: ['127.0.0.1:9/ci/app:1.0.0'] }),
  version: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, 'a version tag: letters, digits, ., _ and -, at most 128').meta({ description: 'the version tag (immutable)' }),
});
export type ImportBody = z.input<typeof importBody>;

export const importResultSchema = z.object({ repository: z.string(), version: z.string(), digest: z.string(), mediaType: z.string(), source: z.string(), size: z.number().int() }).meta({ id: 'ImportResult' });
export type ImportResult = z.output<typeof importResultSchema>;
