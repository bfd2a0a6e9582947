/** API shapes: a project's git source (link, show, unlink), building a commit now, and the project's git builds. */
import { z } from 'zod';

export const gitSourceSchema = z
  .object({
    project: z.string(),
    url: z.string(),
    branch: z.string(),
    branchEnvs: z.array(z.string()),
    credential: z.enum(['set', 'none']).meta({ description: 'whether a credential is stored; it is write-only and never returned' }),
    runtime: z.string().nullable(),
    base: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'GitSource' });
export type GitSourceInfo = z.output<typeof gitSourceSchema>;

export const gitLinkBody = z.strictObject({
  url: z.string().min(1).max(2048).meta({ description: 'https:// (or http://) repository URL, without credentials', examples: ['https://git.example.com/team/app.git'] }),
  branch: z.string().min(1).max(255).optional().meta({ description: 'the default branch: a push to it deploys to the first environment (default main)' }),
  branchEnvs: z.array(z.string().min(1).max(200)).max(20).optional().meta({ description: "branch patterns that get branch environments, e.g. 'feature/*'" }),
  credential: z.string().min(1).max(4096).nullable().optional().meta({ description: 'a token (or user:token) with read access; write-only. Absent keeps the stored one on a re-link; null removes it' }),
  runtime: z.string().min(1).max(32).optional().meta({ description: 'java, static or node (as for slipway build); detected when absent' }),
  base: z.string().min(1).max(512).optional().meta({ description: 'base image reference for the builder (as for slipway build)' }),
});
export type GitLinkBody = z.input<typeof gitLinkBody>;

export const gitBuildBody = z.strictObject({
  ref: z.string().min(1).max(255).optional().meta({ description: 'branch, tag or 40-hex commit (default: the default branch)' }),
  deploy: z.boolean().optional().meta({ description: 'deploy the image as a push to that ref would (default true): the default branch to the first environment' }),
});
export type GitBuildBody = z.input<typeof gitBuildBody>;

const stepSchema = z.object({ name: z.string(), ms: z.number() });

export const gitBuildResultSchema = z
  .object({
    id: z.string(),
    repository: z.string(),
    version: z.string(),
    digest: z.string(),
    commit: z.string(),
    ref: z.string(),
    method: z.enum(['dockerfile', 'builder']),
    url: z.string(),
    newBlobs: z.number().int(),
    steps: z.array(stepSchema),
    deploy: z
      .object({ environment: z.string(), deployment: z.string().nullable(), releaseNumber: z.number().int().nullable(), approval: z.string().nullable().meta({ description: 'the approval request id when the environment requires approval' }) })
      .nullable()
      .meta({ description: 'the deploy it requested; null when the ref deploys nowhere (not the default branch) or deploy was false' }),
  })
  .meta({ id: 'GitBuildResult' });
export type GitBuildResult = z.output<typeof gitBuildResultSchema>;

export const gitBuildSchema = z
  .object({
    id: z.string(),
    ref: z.string(),
    commit: z.string().nullable(),
    version: z.string().nullable(),
    digest: z.string().nullable(),
    method: z.string().nullable(),
    status: z.string(),
    error: z.string().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'GitBuild' });
export type GitBuildInfo = z.output<typeof gitBuildSchema>;

export const gitBuildListSchema = z.array(gitBuildSchema);
export const gitBuildDetailSchema = gitBuildSchema.extend({ log: z.string() }).meta({ id: 'GitBuildDetail' });
export type GitBuildDetail = z.output<typeof gitBuildDetailSchema>;
export const gitBuildParam = z.object({ build: z.string().min(1).max(64) });
