/**
 * A project's manifest: applied (uploaded, or read from git by a build) after it parsed without
 * a single error — a malformed one stores nothing — with the review it carries for protected
 * environments (review.ts), and read back as the API shows it.
 *
 * @module
 */
import { recordAudit } from '../audit/audit.js';
import { SlipwayError } from '../core/errors.js';
import type { Manifest, ManifestJob } from '../core/manifest.js';
import { parseManifest } from '../manifest/parse.js';
import type { ManifestJobInfo, ProjectManifest } from '../api/pipelines.js';
import { nowIso } from '../platform/time.js';
import type { ProjectAccess } from '../projects/projects.js';
import { approvalEnvironmentsOf } from '../deploy/protected-config.js';
import type { Db, Executor, ProjectManifestsTable } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { projectManifest } from './manifest-read.js';
import { diffSinceReview, reviewOnApply, runsDigest, yamlDigest } from './review.js';
import { syncSchedules } from './schedule-rows.js';

/** Parses `yaml` and stores it as the project's manifest (replacing the one before); throws SLW_MANIFEST_INVALID with file:line:col, storing nothing. */
export async function applyManifest(db: Db, access: ProjectAccess, yaml: string, from: { file?: string; source?: 'upload' | 'git'; commit?: string | null } = {}): Promise<ProjectManifest> {
  const manifest = parseManifest(yaml, from.file ?? 'slipway.yaml');
  const digest = runsDigest(manifest);
  const row = {
    project_id: access.project.id,
    workspace_id: access.workspace.id,
    yaml,
    parsed: JSON.stringify(manifest),
    source: from.source ?? 'upload',
    commit_sha: from.commit ?? null,
    applied_at: nowIso(),
    applied_by: access.principal.email,
    runs_digest: digest,
    reviewed_at: null as string | null,
    reviewed_by: null as string | null,
    reviewed_yaml: null as string | null,
  };
  await db.transaction().execute(async (tx) => {
    const previous = await tx.selectFrom('project_manifests').select(['runs_digest', 'reviewed_at', 'reviewed_by', 'reviewed_yaml']).where('project_id', '=', access.project.id).executeTakeFirst();
    Object.assign(row, reviewOnApply(access, yaml, digest, previous));
    await tx.deleteFrom('project_manifests').where('project_id', '=', access.project.id).execute();
    await tx.insertInto('project_manifests').values(row).execute();
    await syncSchedules(tx, access.workspace.id, access.project.id, manifest);
    await recordAudit(tx, actorOf(access.principal), {
      workspaceId: access.workspace.id,
      action: 'manifest.apply',
      targetType: 'project',
      target: access.project.name,
      details: { source: row.source, commit: row.commit_sha, pipelines: Object.keys(manifest.pipelines), release: manifest.release?.jobs.length ?? 0, schedules: Object.values(manifest.pipelines).reduce((n, p) => n + (p.schedules?.length ?? 0), 0), reviewed: row.reviewed_at !== null },
    });
  });
  return toProjectManifest({ ...row, project: access.project.name }, manifest, await protectedOf(db, access));
}

/** The manifest as the API shows it (`applied: false`, nothing in it, when none was applied). */
export async function showManifest(db: Executor, access: ProjectAccess): Promise<ProjectManifest> {
  const row = await db.selectFrom('project_manifests').selectAll().where('project_id', '=', access.project.id).executeTakeFirst();
  const protectedEnvironments = await protectedOf(db, access);
  if (!row) return { project: access.project.name, applied: false, source: null, commit: null, appliedAt: null, appliedBy: null, digest: null, review: { reviewed: false, reviewedAt: null, reviewedBy: null, protectedEnvironments, diff: null }, yaml: '', pipelines: [], release: null, gates: {} };
  return toProjectManifest({ ...row, project: access.project.name }, JSON.parse(row.parsed) as Manifest, protectedEnvironments);
}

/** The jobs of `pipeline` in the project's manifest; SLW_NO_MANIFEST naming the pipelines there are. */
export async function pipelineJobs(db: Executor, access: ProjectAccess, pipeline: string): Promise<ManifestJob[]> {
  const manifest = await projectManifest(db, access.project.id);
  if (!manifest) throw new SlipwayError('SLW_NO_MANIFEST', `project '${access.project.name}' has no manifest, so no pipeline '${pipeline}'; apply one with 'slipway pipeline apply slipway.yaml'`);
  const found = Object.hasOwn(manifest.pipelines, pipeline) ? manifest.pipelines[pipeline] : undefined;
  if (!found) {
    const names = Object.keys(manifest.pipelines);
    throw new SlipwayError('SLW_NO_MANIFEST', `the manifest of project '${access.project.name}' has no pipeline '${pipeline}' (pipelines: ${names.join(', ') || 'none'})`);
  }
  return found.jobs;
}

/** The project's environments that require approval: where an unreviewed manifest's jobs do not run. */
const protectedOf = (db: Executor, access: ProjectAccess) => approvalEnvironmentsOf(db, { ...access, environment: undefined });

/** A job as the API shows it: its volumes always listed (empty: none). */
const jobInfo = (j: ManifestJob): ManifestJobInfo => ({ ...j, volumes: j.volumes ?? [] });

function toProjectManifest(row: Pick<ProjectManifestsTable, 'yaml' | 'source' | 'commit_sha' | 'applied_at' | 'applied_by' | 'reviewed_at' | 'reviewed_by' | 'reviewed_yaml'> & { project: string }, m: Manifest, protectedEnvironments: string[]): ProjectManifest {
  return {
    project: row.project,
    applied: true,
    source: row.source === 'git' ? 'git' : 'upload',
    commit: row.commit_sha,
    appliedAt: row.applied_at,
    appliedBy: row.applied_by,
    digest: yamlDigest(row.yaml),
    review: { reviewed: row.reviewed_at !== null, reviewedAt: row.reviewed_at, reviewedBy: row.reviewed_by, protectedEnvironments, diff: diffSinceReview(row) },
    yaml: row.yaml,
    pipelines: Object.entries(m.pipelines).map(([name, p]) => ({ name, jobs: p.jobs.map(jobInfo), schedules: p.schedules ?? [] })),
    release: m.release?.jobs.map(jobInfo) ?? null,
    gates: m.gates,
  };
}
