/** API shapes: projects and environments. */
import { z } from 'zod';
import { nameSchema, timestamp } from './common.js';

export const projectSchema = z
  .object({ id: z.string(), name: z.string(), workspace: z.string(), configVersion: z.number().int(), createdAt: timestamp, environments: z.array(z.string()) })
  .meta({ id: 'Project' });
export type Project = z.output<typeof projectSchema>;

export const environmentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    project: z.string(),
    kind: z.enum(['standard', 'custom', 'branch', 'preview', 'site', 'clone']),
    createdAt: timestamp,
    deletable: z.boolean().meta({ description: "false for a default environment of the workspace's tier: deleting it is refused (SLW_ENVIRONMENT_PROTECTED)" }),
  })
  .meta({ id: 'Environment' });
export type Environment = z.output<typeof environmentSchema>;

export const projectListSchema = z.object({ projects: z.array(projectSchema) });
export type ProjectList = z.output<typeof projectListSchema>;

export const environmentListSchema = z.object({ environments: z.array(environmentSchema) });
export type EnvironmentList = z.output<typeof environmentListSchema>;

export const createProjectBody = z.strictObject({ name: nameSchema('project') });
export type CreateProjectBody = z.input<typeof createProjectBody>;

export const createEnvironmentBody = z.strictObject({ name: nameSchema('environment') });
export type CreateEnvironmentBody = z.input<typeof createEnvironmentBody>;
