/**
 * Review of a project's manifest for its protected environments. What a pipeline or the release
 * step runs (image, command, `env`) gets the environment's secrets, and developers may apply a
 * manifest; so an environment that requires approval runs jobs only from a manifest an admin or
 * owner applied or reviewed — as GitHub runs a protected environment's jobs only after its
 * reviewers approve, and GitLab hands protected variables only to protected branches.
 *
 * A manifest applied by an admin or owner is reviewed at once. One applied by anyone else (a
 * developer's upload, a build of the default branch started by a webhook) keeps the review only
 * when what it runs — its pipelines with their schedules and its release step, compared as
 * canonical JSON — is what was reviewed before; otherwise it waits for `slipway pipeline review`.
 * Meanwhile unprotected environments run it as always; a protected one refuses to start its jobs
 * (`SLW_MANIFEST_UNREVIEWED`, naming who applied it and what to do) and a deploy there whose
 * release step would run, before anything is recorded (should the manifest change after that
 * check, the engine records the step as failed, before traffic moves). A reviewer reads the diff
 * against the text last reviewed.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { SlipwayError, withErrorSuffix } from '../core/errors.js';
import { lineDiff, renderDiff } from '../core/line-diff.js';
import type { Manifest } from '../core/manifest.js';
import { jobVolumes, type EnvironmentVolume } from '../core/volumes.js';
import { storedSettings } from '../deploy/settings.js';
import { mayChangeProtected, requiresApproval } from '../deploy/protected-config.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';
import type { Db, Executor, ProjectManifestsTable } from '../store/schema.js';
import { recordAudit } from '../audit/audit.js';
import { actorOf } from '../tenancy/principal.js';
import { volumeErrorContext } from './job-spec.js';

/** JSON with every object's keys sorted, so equal content has one text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of what a manifest runs: its pipelines (jobs and schedules) and its release step. */
export function runsDigest(m: Manifest): string {
  return `sha256:${createHash('sha256').update(canonical({ pipelines: m.pipelines, release: m.release })).digest('hex')}`;
}

/** sha256 of the manifest's text: what a reviewer read, sent back with the review. */
export function yamlDigest(yaml: string): string {
  return `sha256:${createHash('sha256').update(yaml).digest('hex')}`;
}

type Review = Pick<ProjectManifestsTable, 'reviewed_at' | 'reviewed_by' | 'reviewed_yaml'>;

/**
 * The review a newly applied manifest (`yaml`) carries: its applier's when an admin or owner
 * applies it; the earlier one when it runs what was reviewed; none otherwise — keeping the text
 * last reviewed, for the diff a reviewer reads.
 */
export function reviewOnApply(access: ProjectAccess, yaml: string, digest: string, previous: Pick<ProjectManifestsTable, 'runs_digest' | 'reviewed_at' | 'reviewed_by' | 'reviewed_yaml'> | undefined): Review {
  if (mayChangeProtected(access.role)) return { reviewed_at: nowIso(), reviewed_by: access.principal.email, reviewed_yaml: yaml };
  const lastText = previous?.reviewed_yaml ?? null;
  if (previous && previous.reviewed_at !== null && previous.runs_digest === digest) return { reviewed_at: previous.reviewed_at, reviewed_by: previous.reviewed_by, reviewed_yaml: lastText };
  return { reviewed_at: null, reviewed_by: null, reviewed_yaml: lastText };
}

/** What changed since the last review, for a manifest waiting for one (null: reviewed, or none reviewed before). */
export function diffSinceReview(row: Pick<ProjectManifestsTable, 'yaml' | 'reviewed_at' | 'reviewed_yaml'>): string | null {
  if (row.reviewed_at !== null || row.reviewed_yaml === null) return null;
  return renderDiff(lineDiff(row.reviewed_yaml, row.yaml));
}

type ReviewState = Pick<ProjectManifestsTable, 'applied_by' | 'applied_at' | 'reviewed_at' | 'source' | 'commit_sha'>;
const reviewState = ['applied_by', 'applied_at', 'reviewed_at', 'source', 'commit_sha'] as const;

/** Why the environment may not run the jobs of the manifest in force (`row`) now (null: it may). */
async function reasonFor(db: Executor, access: EnvironmentAccess, row: ReviewState | undefined): Promise<string | null> {
  if (!row || row.reviewed_at !== null) return null;
  if (!(await requiresApproval(db, access))) return null;
  const project = access.project.name;
  const from = row.source === 'git' ? `read from git at ${row.commit_sha?.slice(0, 12) ?? '?'}` : 'uploaded';
  return `${project}/${access.environment.name} requires approval, and the manifest of ${project} (${from} by ${row.applied_by ?? 'unknown'} at ${row.applied_at}) is not reviewed, so its jobs do not run there; an admin or owner reads it (slipway pipeline show -p ${project}) and reviews it (slipway pipeline review -p ${project}), or applies it`;
}

/**
 * Why the environment may not run the project's manifest's jobs now (null: it may): it requires
 * approval and the manifest in force is not reviewed.
 */
export async function unreviewedReason(db: Executor, access: EnvironmentAccess): Promise<string | null> {
  return reasonFor(db, access, await db.selectFrom('project_manifests').select(reviewState).where('project_id', '=', access.project.id).executeTakeFirst());
}

/**
 * Refuses, before anything is recorded, a deploy into the environment whose release step could
 * not run: SLW_MANIFEST_UNREVIEWED when it may not run there (the engine refuses it too, should
 * the manifest change after this check); SLW_INVALID_VOLUME when a job of it names a volume the
 * new release does not mount (`volumes`: the release's; default: the environment's settings now).
 */
export async function assertReleaseStepMayRun(db: Executor, access: EnvironmentAccess, volumes?: EnvironmentVolume[]): Promise<void> {
  const row = await db.selectFrom('project_manifests').select(['parsed', ...reviewState]).where('project_id', '=', access.project.id).executeTakeFirst();
  if (!row) return;
  const release = (JSON.parse(row.parsed) as Manifest).release;
  if (!release || release.jobs.length === 0) return;
  const reason = await reasonFor(db, access, row);
  if (reason !== null) throw new SlipwayError('SLW_MANIFEST_UNREVIEWED', `${reason}; a deploy there runs its release step, so nothing was deployed`);
  if (!release.jobs.some((j) => (j.volumes ?? []).length > 0)) return;
  const declared = volumes ?? (await storedSettings(db, access.environment.id)).volumes ?? [];
  const at = volumeErrorContext(access);
  await withErrorSuffix('; a deploy there runs the release step, so nothing was deployed', () => {
    for (const job of release.jobs) jobVolumes(job, declared, at);
  });
}

/** Throws SLW_MANIFEST_UNREVIEWED when the environment may not run the manifest's jobs now. */
export async function assertReviewedFor(db: Executor, access: EnvironmentAccess): Promise<void> {
  const reason = await unreviewedReason(db, access);
  if (reason !== null) throw new SlipwayError('SLW_MANIFEST_UNREVIEWED', reason);
}

/**
 * Marks the manifest in force reviewed by the caller (an admin or owner, checked by the route),
 * provided it is the one they read (`digest` of its text): SLW_MANIFEST_CHANGED otherwise.
 * Reviewing a reviewed manifest changes nothing.
 */
export async function reviewManifest(db: Db, access: ProjectAccess, digest: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('project_manifests').select(['yaml', 'reviewed_at', 'applied_by', 'applied_at']).where('project_id', '=', access.project.id).executeTakeFirst();
    if (!row) throw new SlipwayError('SLW_NO_MANIFEST', `project '${access.project.name}' has no manifest to review; apply one with 'slipway pipeline apply slipway.yaml'`);
    if (yamlDigest(row.yaml) !== digest) {
      throw new SlipwayError('SLW_MANIFEST_CHANGED', `the manifest of ${access.project.name} was replaced (by ${row.applied_by ?? 'unknown'} at ${row.applied_at}) after the one you reviewed; read it again (slipway pipeline show -p ${access.project.name}) and review that one`);
    }
    if (row.reviewed_at !== null) return;
    // Only the text reviewed: a manifest applied between the read and this write is not touched.
    const marked = await tx.updateTable('project_manifests').set({ reviewed_at: nowIso(), reviewed_by: access.principal.email, reviewed_yaml: row.yaml }).where('project_id', '=', access.project.id).where('yaml', '=', row.yaml).where('reviewed_at', 'is', null).executeTakeFirst();
    if (Number(marked.numUpdatedRows) === 0) {
      const now = await tx.selectFrom('project_manifests').select(['yaml', 'reviewed_at']).where('project_id', '=', access.project.id).executeTakeFirst();
      if (now?.yaml === row.yaml && now.reviewed_at !== null) return; // another admin reviewed the same text meanwhile
      throw new SlipwayError('SLW_MANIFEST_CHANGED', `the manifest of ${access.project.name} was replaced while you reviewed it; read it again (slipway pipeline show -p ${access.project.name}) and review that one`);
    }
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'manifest.review', targetType: 'project', target: access.project.name, details: { digest, appliedBy: row.applied_by, appliedAt: row.applied_at } });
  });
}

/**
 * A pipeline run by hand against an environment that requires approval runs the image it runs:
 * naming another (`--image`) is for admins and owners, else any image a developer built would
 * run there with its secrets, around the approval that guards what runs there.
 */
export async function assertMayRunImage(db: Executor, access: EnvironmentAccess, imageDigest: string): Promise<void> {
  if (mayChangeProtected(access.role)) return;
  if (!(await requiresApproval(db, access))) return;
  const current = await db.selectFrom('releases').select('image_digest').where('environment_id', '=', access.environment.id).where('status', '=', 'succeeded').orderBy('number', 'desc').executeTakeFirst();
  if (current?.image_digest === imageDigest) return;
  throw new SlipwayError(
    'SLW_FORBIDDEN',
    `${access.project.name}/${access.environment.name} requires approval, so only an admin or owner may run a pipeline there with another image than the one it runs (your role: ${access.role}); leave out --image to run its current release, or promote the image first`,
  );
}
