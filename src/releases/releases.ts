/**
 * Releases in the store: numbered per environment, immutable except for their status and
 * timings, which the deploy engine advances. Nothing deploys yet; this is the record it will
 * write and the rollback points it will read.
 *
 * @module
 */
import { notFound } from '../core/errors.js';
import { assertTransition, nextReleaseNumber, type ReleaseStatus, type ReleaseTrigger } from '../core/releases.js';
import { recordAudit, type Actor } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { lockEnvironment } from '../store/locks.js';
import { currentGenerations } from '../services/generations.js';
import type { Db, Executor, ReleasesTable } from '../store/schema.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { SecretVersions } from '../secrets/secrets.js';
import { parseStoredVolumes, spreadRefusal, type EnvironmentVolume } from '../core/volumes.js';

/** A release as the API returns it. */
export interface Release {
  id: string;
  number: number;
  environment: string;
  imageDigest: string;
  version: string | null;
  configVersion: number;
  secretVersions: Record<string, number>;
  status: ReleaseStatus;
  trigger: ReleaseTrigger;
  actor: { userId: string | null; email: string | null; tokenId: string | null };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  message: string | null;
  volumes: EnvironmentVolume[];
}

function toRelease(envName: string, r: ReleasesTable & { email: string | null }): Release {
  const secrets = JSON.parse(r.secret_versions) as SecretVersions;
  return {
    id: r.id,
    number: r.number,
    environment: envName,
    imageDigest: r.image_digest,
    version: r.version_tag,
    configVersion: r.config_version,
    secretVersions: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, v.version])),
    status: r.status as ReleaseStatus,
    trigger: r.trigger as ReleaseTrigger,
    actor: { userId: r.actor_user_id, email: r.email, tokenId: r.actor_token_id },
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    message: r.message,
    volumes: parseStoredVolumes(r.volumes),
  };
}

function releaseQuery(db: Executor) {
  return db.selectFrom('releases as r').leftJoin('users as u', 'u.id', 'r.actor_user_id').selectAll('r').select('u.email');
}

/** An environment's releases, newest first. */
export async function listReleases(db: Executor, access: EnvironmentAccess, limit: number): Promise<Release[]> {
  const rows = await releaseQuery(db).where('r.environment_id', '=', access.environment.id).orderBy('r.number', 'desc').limit(limit).execute();
  return rows.map((r) => toRelease(access.environment.name, r));
}

/** One release by number. */
export async function getRelease(db: Executor, access: EnvironmentAccess, number: number): Promise<Release> {
  const row = await releaseQuery(db).where('r.environment_id', '=', access.environment.id).where('r.number', '=', number).executeTakeFirst();
  if (!row) throw notFound('release', `#${number}`, `environment '${access.environment.name}'`);
  return toRelease(access.environment.name, row);
}

/** What the deploy engine records when it starts a release. */
export interface NewRelease {
  imageDigest: string;
  version: string | null;
  configVersion: number;
  secretVersions: SecretVersions;
  trigger: ReleaseTrigger;
  actor: Actor;
  /** The volumes it mounts; default: the environment's settings now (a rollback passes the release's it returns to). */
  volumes?: EnvironmentVolume[];
}

/** The volumes an environment's settings declare now, and where it runs. */
async function placementOf(tx: Executor, environmentId: string): Promise<{ volumes: EnvironmentVolume[]; target: string }> {
  const row = await tx.selectFrom('environment_settings').select('data').where('environment_id', '=', environmentId).executeTakeFirst();
  const data = row ? (JSON.parse(row.data) as { volumes?: EnvironmentVolume[]; target?: string }) : {};
  return { volumes: data.volumes ?? [], target: data.target ?? 'local' };
}

/** Records a new pending release with the environment's next number. */
export async function createRelease(db: Db, access: EnvironmentAccess, input: NewRelease): Promise<Release> {
  return db.transaction().execute((tx) => insertRelease(tx, access, input));
}

/** {@link createRelease} inside the caller's transaction (which it locks the environment row in). */
export async function insertRelease(tx: Executor, access: EnvironmentAccess, input: NewRelease): Promise<Release> {
  await lockEnvironment(tx, access.environment.id);
  const placement = await placementOf(tx, access.environment.id);
  const volumes = input.volumes ?? placement.volumes;
  // A rollback to a release with volumes, of an environment spread over several servers since.
  const spread = spreadRefusal(`${access.project.name}/${access.environment.name}`, volumes, placement.target);
  if (spread) throw spread;
  const last = await tx.selectFrom('releases').select((eb) => eb.fn.max('number').as('n')).where('environment_id', '=', access.environment.id).executeTakeFirst();
  const row: ReleasesTable = {
    id: newId('rel'),
    workspace_id: access.workspace.id,
    project_id: access.project.id,
    environment_id: access.environment.id,
    number: nextReleaseNumber(last?.n === null || last?.n === undefined ? null : Number(last.n)),
    image_digest: input.imageDigest,
    version_tag: input.version,
    config_version: input.configVersion,
    secret_versions: JSON.stringify(input.secretVersions),
    service_credentials: JSON.stringify(await currentGenerations(tx, access.environment.id)),
    volumes: JSON.stringify(volumes),
    status: 'pending',
    trigger: input.trigger,
    actor_user_id: input.actor.userId,
    actor_token_id: input.actor.tokenId,
    created_at: nowIso(),
    started_at: null,
    finished_at: null,
    message: null,
  };
  await tx.insertInto('releases').values(row).execute();
  await recordAudit(tx, input.actor, {
    workspaceId: access.workspace.id,
    action: 'release.create',
    targetType: 'release',
    target: `${access.project.name}/${access.environment.name}#${row.number}`,
    details: { imageDigest: row.image_digest, configVersion: row.config_version, trigger: row.trigger },
  });
  const email = input.actor.userId ? (await tx.selectFrom('users').select('email').where('id', '=', input.actor.userId).executeTakeFirst())?.email ?? null : null;
  return toRelease(access.environment.name, { ...row, email });
}

/** Moves a release to a new status, enforcing the allowed transitions and stamping timings. */
export async function setReleaseStatus(db: Db, access: EnvironmentAccess, number: number, to: ReleaseStatus, message?: string): Promise<Release> {
  return db.transaction().execute(async (tx) => {
    const current = await getRelease(tx, access, number);
    assertTransition(current.status, to);
    const now = nowIso();
    await tx
      .updateTable('releases')
      .set({
        status: to,
        ...(to === 'running' ? { started_at: now } : {}),
        ...(to === 'succeeded' || to === 'failed' || to === 'cancelled' ? { finished_at: now } : {}),
        ...(message !== undefined ? { message } : {}),
      })
      .where('id', '=', current.id)
      .execute();
    return getRelease(tx, access, number);
  });
}

/**
 * Image digests of a project that must stay in the registry: every rollback point (a release
 * that once succeeded) and every release still pending or running. Retention's `inUse` port.
 */
export async function imagesInUse(db: Executor, projectId: string): Promise<Set<string>> {
  const rows = await db.selectFrom('releases').select('image_digest').distinct().where('project_id', '=', projectId).where('status', 'in', ['succeeded', 'superseded', 'pending', 'running']).execute();
  // Provisioned services pin their image by digest in the project's repository.
  const services = await db.selectFrom('provisioned_services').select('image_digest').where('project_id', '=', projectId).execute();
  return new Set([...rows, ...services].map((r) => r.image_digest));
}

/** For each digest, the environments whose newest succeeded release runs it. */
export async function environmentsRunning(db: Executor, projectId: string): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom('releases as r')
    .innerJoin('environments as e', 'e.id', 'r.environment_id')
    .select(['r.image_digest', 'r.number', 'r.environment_id', 'e.name'])
    .where('r.project_id', '=', projectId)
    .where('r.status', '=', 'succeeded')
    .execute();
  const newest = new Map<string, { number: number; digest: string; name: string }>();
  for (const r of rows) {
    const seen = newest.get(r.environment_id);
    if (!seen || seen.number < r.number) newest.set(r.environment_id, { number: r.number, digest: r.image_digest, name: r.name });
  }
  const out = new Map<string, string[]>();
  for (const { digest, name } of newest.values()) out.set(digest, [...(out.get(digest) ?? []), name].sort());
  return out;
}
