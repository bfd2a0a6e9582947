/**
 * A project's manifest: applied (uploaded, or read from git by a build) after it parsed without
 * a single error — a malformed one stores nothing — and read back as the API shows it.
 *
 * @module
 */
import { recordAudit } from '../audit/audit.js';
import { SlipwayError } from '../core/errors.js';
import type { Manifest, ManifestJob } from '../core/manifest.js';
import { parseManifest } from '../manifest/parse.js';
import type { ProjectManifest } from '../api/pipelines.js';
import { nowIso } from '../platform/time.js';
import type { ProjectAccess } from '../projects/projects.js';
import type { Db, Executor } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { syncSchedules } from './schedule-rows.js';

/** Parses `yaml` and stores it as the project's manifest (replacing the one before); throws SLW_MANIFEST_INVALID with file:line:col, storing nothing. */
export async function applyManifest(db: Db, access: ProjectAccess, yaml: string, from: { file?: string; source?: 'upload' | 'git'; commit?: string | null } = {}): Promise<ProjectManifest> {
  const manifest = parseManifest(yaml, from.file ?? 'slipway.yaml');
  const row = {
    project_id: access.project.id,
    workspace_id: access.workspace.id,
    yaml,
    parsed: JSON.stringify(manifest),
    source: from.source ?? 'upload',
    commit_sha: from.commit ?? null,
    applied_at: nowIso(),
    applied_by: access.principal.email,
  };
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('project_manifests').where('project_id', '=', access.project.id).execute();
    await tx.insertInto('project_manifests').values(row).execute();
    await syncSchedules(tx, access.workspace.id, access.project.id, manifest);
    await recordAudit(tx, actorOf(access.principal), {
      workspaceId: access.workspace.id,
      action: 'manifest.apply',
      targetType: 'project',
      target: access.project.name,
      details: { source: row.source, commit: row.commit_sha, pipelines: Object.keys(manifest.pipelines), release: manifest.release?.jobs.length ?? 0, schedules: Object.values(manifest.pipelines).reduce((n, p) => n + (p.schedules?.length ?? 0), 0) },
    });
  });
  return toProjectManifest(access.project.name, row, manifest);
}

/** The project's applied manifest, parsed; null when none was applied. */
export async function projectManifest(db: Executor, projectId: string): Promise<Manifest | null> {
  const row = await db.selectFrom('project_manifests').select('parsed').where('project_id', '=', projectId).executeTakeFirst();
  return row ? (JSON.parse(row.parsed) as Manifest) : null;
}

/** The manifest as the API shows it (`applied: false`, nothing in it, when none was applied). */
export async function showManifest(db: Executor, access: ProjectAccess): Promise<ProjectManifest> {
  const row = await db.selectFrom('project_manifests').selectAll().where('project_id', '=', access.project.id).executeTakeFirst();
  if (!row) return { project: access.project.name, applied: false, source: null, commit: null, appliedAt: null, appliedBy: null, yaml: '', pipelines: [], release: null, gates: {} };
  return toProjectManifest(access.project.name, row, JSON.parse(row.parsed) as Manifest);
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

function toProjectManifest(project: string, row: { yaml: string; source: string; commit_sha: string | null; applied_at: string; applied_by: string | null }, m: Manifest): ProjectManifest {
  return {
    project,
    applied: true,
    source: row.source === 'git' ? 'git' : 'upload',
    commit: row.commit_sha,
    appliedAt: row.applied_at,
    appliedBy: row.applied_by,
    yaml: row.yaml,
    pipelines: Object.entries(m.pipelines).map(([name, p]) => ({ name, jobs: p.jobs, schedules: p.schedules ?? [] })),
    release: m.release?.jobs ?? null,
    gates: m.gates,
  };
}
