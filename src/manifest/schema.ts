/**
 * `slipway.yaml` as written: the zod schema the server checks a manifest with (parse.ts
 * reads the YAML and reports each issue with its line and column), the normalised
 * {@link Manifest} it produces, and the JSON Schema published for editors
 * (`docs/slipway.schema.json`, kept in sync by a test; `npm run docs:manifest` after a build rewrites it).
 *
 * @module
 */
import { z } from 'zod';
import { assertKey } from '../core/config.js';
import { parseCron } from '../core/cron.js';
import { isSlipwayError } from '../core/errors.js';
import { parseCpus, parseMemory } from '../core/deploy.js';
import { buildImage, isManifestName, jobLimits, parseDuration, parseRate, type Manifest, type ManifestJob } from '../core/manifest.js';
import { maxVolumes, parseJobVolume } from '../core/volumes.js';

/** Runs a core assertion inside a refinement; its failure becomes an issue with the core error's message. */
function coreIssue(ctx: z.RefinementCtx, check: () => unknown): void {
  try {
    check();
  } catch (error) {
    if (!isSlipwayError(error)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
}

const name = (what: string) =>
  z
    .string()
    .refine(isManifestName, { message: `a ${what} name is lowercase letters, digits and '-', at most 40 (e.g. unit-tests)` })
    .meta({ pattern: '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$', description: `${what} name` });

const duration = z
  .union([z.number(), z.string()])
  .superRefine((v, ctx) => coreIssue(ctx, () => parseDuration(v)))
  .meta({ description: 'seconds, or a duration like 30s, 10m, 1h30m' });

const jobSchema = z
  .strictObject({
    name: name('job'),
    image: z.string().min(1).max(512).meta({ description: `${buildImage} (the version being released or tested) or an image reference` }),
    command: z
      .union([z.string().min(1).max(8192), z.array(z.string().max(8192)).min(1).max(256)])
      .optional()
      .meta({ description: 'a shell command (run with /bin/sh -c) or an argument list; absent: the image’s own command' }),
    env: z.record(z.string().superRefine((k, ctx) => coreIssue(ctx, () => assertKey('config', k))).meta({ description: 'variable name' }), z.string().max(65536)).optional(),
    timeout: duration.optional().meta({ description: `default ${jobLimits.defaultTimeoutSeconds}s, at most 24h` }),
    resources: z
      .strictObject({
        cpus: z.union([z.number(), z.string()]).optional().meta({ description: 'CPUs, e.g. 0.5' }),
        memory: z.union([z.number(), z.string()]).optional().meta({ description: 'e.g. 256m, 1g' }),
      })
      .superRefine((r, ctx) => {
        if (r.cpus !== undefined) coreIssue(ctx, () => parseCpus(String(r.cpus)));
        if (r.memory !== undefined) coreIssue(ctx, () => parseMemory(String(r.memory)));
      })
      .optional(),
    volumes: z
      .array(
        z
          .string()
          .superRefine((v, ctx) => coreIssue(ctx, () => parseJobVolume(v)))
          .meta({ pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?(?::ro)?$', description: "the name of one of the environment's volumes (slipway env set --volume NAME:/PATH); NAME:ro mounts it read-only" }),
      )
      .max(maxVolumes, `a job mounts at most ${maxVolumes} volumes (an environment has at most ${maxVolumes}): list only those the job needs`)
      .optional()
      .meta({ uniqueItems: true, description: "names of the environment's volumes to mount, at the paths the environment's settings give them; NAME:ro mounts one read-only (default: none)" }),
  })
  .superRefine((j, ctx) => {
    const seen = new Set<string>();
    (j.volumes ?? []).forEach((v, i) => {
      const name = v.replace(/:ro$/, '');
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['volumes', i], message: `volume '${name}' is listed twice: list each volume once` });
      seen.add(name);
    });
    if (j.timeout === undefined) return;
    try {
      if (parseDuration(j.timeout) > jobLimits.maxTimeoutSeconds || parseDuration(j.timeout) <= 0) ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'a job timeout is more than 0 and at most 24h' });
    } catch {
      // reported by the field itself
    }
  });

const environmentName = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'an environment name');

const scheduleSchema = z.strictObject({
  cron: z
    .string()
    .max(200)
    .superRefine((v, ctx) => coreIssue(ctx, () => parseCron(v)))
    .meta({ description: "five cron fields, UTC, e.g. '0 3 * * *' (03:00 every day)" }),
  environment: environmentName.meta({ description: 'the environment the run is against (its config, secrets and services)' }),
});

const jobsSchema = z.array(jobSchema).min(1).max(jobLimits.maxJobs).meta({ description: 'run in order; the first that fails ends the run' });

const pipelineSchema = z.strictObject({
  jobs: jobsSchema,
  schedules: z
    .array(scheduleSchema)
    .max(jobLimits.maxSchedules)
    .optional()
    .meta({ description: `when the pipeline runs by itself (at most ${jobLimits.maxSchedules}); a run already waiting takes a due slot in, as for any trigger` }),
});

const releaseSchema = z.strictObject({ jobs: jobsSchema });

const gatesSchema = z.strictObject({
  approval: z.boolean().optional().meta({ description: 'an admin or owner other than the requester approves' }),
  pipeline: name('pipeline').optional().meta({ description: 'a pipeline of this manifest that must pass against the candidate image' }),
  health: z
    .strictObject({
      bake: duration.meta({ description: 'how long the environment is watched after the switch' }),
      maxErrorRate: z.union([z.number(), z.string()]).superRefine((v, ctx) => coreIssue(ctx, () => parseRate(v))).optional().meta({ description: 'e.g. 1% (default)' }),
      path: z.string().regex(/^\/[\x21-\x7e]{0,1023}$/, 'a path starts with / and holds no spaces').optional().meta({ description: "probed through the edge; default: the environment's health path" }),
    })
    .optional(),
});

/** The manifest as written. */
export const manifestSchema = z
  .strictObject({
    build: z
      .strictObject({
        runtime: z.enum(['java', 'static', 'node', 'dockerfile']).optional(),
        base: z.string().min(1).max(512).optional(),
        dockerfile: z
          .string()
          .min(1)
          .max(512)
          .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'the Dockerfile path is relative to the repository root, without ..')
          .optional(),
        network: z.boolean().optional().meta({ description: 'whether RUN steps may use the network (default false)' }),
      })
      .optional(),
    pipelines: z.record(name('pipeline'), pipelineSchema).optional(),
    release: releaseSchema.optional().meta({ description: 'jobs that must succeed against the new image before traffic switches (e.g. migrations)' }),
    gates: z.record(environmentName, gatesSchema).optional(),
  })
  .superRefine((m, ctx) => {
    const lists: [string[], ManifestJobInput[]][] = [
      ...Object.entries(m.pipelines ?? {}).map(([p, v]): [string[], ManifestJobInput[]] => [['pipelines', p, 'jobs'], v.jobs]),
      ...(m.release ? [[['release', 'jobs'], m.release.jobs] as [string[], ManifestJobInput[]]] : []),
    ];
    for (const [path, jobs] of lists) {
      const seen = new Set<string>();
      jobs.forEach((j, i) => {
        if (seen.has(j.name)) ctx.addIssue({ code: 'custom', path: [...path, i, 'name'], message: `job name '${j.name}' is used twice in this list` });
        seen.add(j.name);
      });
    }
    for (const [p, v] of Object.entries(m.pipelines ?? {})) {
      const seen = new Set<string>();
      (v.schedules ?? []).forEach((sc, i) => {
        const key = `${sc.environment} ${sc.cron.trim().replace(/\s+/g, ' ')}`;
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['pipelines', p, 'schedules', i], message: `the schedule '${sc.cron}' against ${sc.environment} is given twice` });
        seen.add(key);
      });
    }
    for (const [env, g] of Object.entries(m.gates ?? {})) {
      if (g.pipeline !== undefined && !(g.pipeline in (m.pipelines ?? {}))) {
        ctx.addIssue({ code: 'custom', path: ['gates', env, 'pipeline'], message: `no pipeline '${g.pipeline}' in this manifest (pipelines: ${Object.keys(m.pipelines ?? {}).join(', ') || 'none'})` });
      }
    }
  })
  .meta({ title: 'slipway.yaml', description: 'The Slipway project manifest: build, pipelines, release step, gates.' });

export type ManifestInput = z.input<typeof manifestSchema>;
type ManifestJobInput = z.output<typeof jobSchema>;

function toJob(j: ManifestJobInput): ManifestJob {
  return {
    name: j.name,
    image: j.image,
    command: j.command === undefined ? null : typeof j.command === 'string' ? ['/bin/sh', '-c', j.command] : j.command,
    env: j.env ?? {},
    timeoutSeconds: j.timeout === undefined ? jobLimits.defaultTimeoutSeconds : parseDuration(j.timeout),
    resources: {
      cpuMillis: j.resources?.cpus === undefined ? null : Math.max(1, Math.round(parseCpus(String(j.resources.cpus)) / 1e6)),
      memoryBytes: j.resources?.memory === undefined ? null : parseMemory(String(j.resources.memory)),
    },
    // Absent when none, so a manifest without volumes keeps the review digest it had (review.ts).
    ...(j.volumes && j.volumes.length > 0 ? { volumes: j.volumes } : {}),
  };
}

/** The checked manifest, normalised (defaults filled in, units converted). */
export function normaliseManifest(m: z.output<typeof manifestSchema>): Manifest {
  return {
    build: { runtime: m.build?.runtime ?? null, base: m.build?.base ?? null, dockerfile: m.build?.dockerfile ?? null, network: m.build?.network ?? false },
    pipelines: Object.fromEntries(Object.entries(m.pipelines ?? {}).map(([p, v]) => [p, { jobs: v.jobs.map(toJob), schedules: (v.schedules ?? []).map((sc) => ({ cron: sc.cron.trim().replace(/\s+/g, ' '), environment: sc.environment })) }])),
    release: m.release ? { jobs: m.release.jobs.map(toJob) } : null,
    gates: Object.fromEntries(
      Object.entries(m.gates ?? {}).map(([env, g]) => [
        env,
        {
          ...(g.approval !== undefined ? { approval: g.approval } : {}),
          ...(g.pipeline !== undefined ? { pipeline: g.pipeline } : {}),
          ...(g.health ? { health: { bakeSeconds: parseDuration(g.health.bake), maxErrorRate: g.health.maxErrorRate === undefined ? 0.01 : parseRate(g.health.maxErrorRate), path: g.health.path ?? null } } : {}),
        },
      ]),
    ),
  };
}

/** The JSON Schema of `slipway.yaml`, for editors (yaml-language-server: `# yaml-language-server: $schema=…`). */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(manifestSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
