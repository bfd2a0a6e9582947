/**
 * Upstream applications: their repository in another registry is polled for tags; each new
 * semantic version is imported by digest into the application's project (verified blob by blob,
 * under an immutable tag) and recorded as a version. Non-semver tags are ignored.
 *
 * A poll is claimed with a compare-and-set on `last_polled_at`, so several control planes sharing
 * one store never poll one application at once. A failed poll stores one line of why (never a
 * remote body) and is retried at the next interval.
 *
 * @module
 */
import type { Logger } from 'pino';
import { isSlipwayError } from '../core/errors.js';
import { compareSemVer, parseSemVer, type SemVer } from '../core/semver.js';
import { recordAudit, systemActor } from '../audit/audit.js';
import { clientFor, importImage, type RemoteServices } from '../images/remote.js';
import { nowIso } from '../platform/time.js';
import { repositoryOfProject } from '../registry/repositories.js';
import type { ApplicationsTable, Db } from '../store/schema.js';
import { syncProjectVersions } from './applications.js';
import { notifyNewVersions } from './version-notices.js';

/** New versions imported per poll at most (oldest first; the rest at the next poll). */
export const maxImportsPerPoll = 20;

export interface PollResult {
  imported: { version: string; digest: string }[];
  /** Versions that could not be imported this time, with why. */
  failed: { version: string; error: string }[];
  /** New semver tags left for the next poll (over the per-poll cap). */
  pending: number;
}

/** Claims the application's poll: true when this caller won it (nobody polled since `seen`). */
async function claim(db: Db, app: ApplicationsTable): Promise<boolean> {
  const q = db.updateTable('applications').set({ last_polled_at: nowIso() }).where('id', '=', app.id);
  const r = await (app.last_polled_at === null ? q.where('last_polled_at', 'is', null) : q.where('last_polled_at', '=', app.last_polled_at)).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Polls the upstream now: lists its tags, imports the semver tags not recorded yet (oldest first). */
export async function pollUpstream(services: RemoteServices, app: ApplicationsTable, options: { claimed?: boolean; poke?: (() => void) | undefined } = {}): Promise<PollResult> {
  if (app.source !== 'upstream' || app.upstream === null) return { imported: [], failed: [], pending: 0 };
  if (!options.claimed) await services.db.updateTable('applications').set({ last_polled_at: nowIso() }).where('id', '=', app.id).execute();
  const slash = app.upstream.indexOf('/');
  const registry = app.upstream.slice(0, slash);
  const repository = app.upstream.slice(slash + 1);
  try {
    const tags = await clientFor(services, app.workspace_id, 'SLW_UPSTREAM_REGISTRY').listTags(registry, repository);
    const known = new Set((await services.db.selectFrom('application_versions').select('tag').where('application_id', '=', app.id).execute()).map((r) => r.tag));
    const fresh = tags
      .filter((t) => !known.has(t))
      .map(parseSemVer)
      .filter((v): v is SemVer => v !== null)
      .sort(compareSemVer);
    const project = await services.db.selectFrom('projects').select(['id', 'name']).where('id', '=', app.project_id).executeTakeFirstOrThrow();
    const workspace = await services.db.selectFrom('workspaces').select(['id', 'name']).where('id', '=', app.workspace_id).executeTakeFirstOrThrow();
    const target = await repositoryOfProject(services.db, workspace, project);
    const result: PollResult = { imported: [], failed: [], pending: Math.max(0, fresh.length - maxImportsPerPoll) };
    for (const v of fresh.slice(0, maxImportsPerPoll)) {
      try {
        const r = await importImage(services, target, `${app.upstream}:${v.tag}`, v.tag, { hosts: [], pull: () => Promise.reject(new Error('not an own image')) });
        // The version, its audit event and its notification together: whoever records it announces it, once.
        const notified = await services.db.transaction().execute(async (tx) => {
          const inserted = await tx.insertInto('application_versions').values({ application_id: app.id, tag: v.tag, digest: r.digest, discovered_at: nowIso() }).onConflict((oc) => oc.columns(['application_id', 'tag']).doNothing()).returning('tag').execute();
          if (inserted.length === 0) return 0;
          await recordAudit(tx, systemActor, { workspaceId: app.workspace_id, action: 'application.version', targetType: 'application', target: app.name, details: { version: v.tag, digest: r.digest, upstream: app.upstream } });
          // The first versions of an application are where it starts, not news.
          return known.size === 0 ? 0 : notifyNewVersions({ db: tx }, app, [v.tag]);
        });
        if (notified > 0) options.poke?.();
        result.imported.push({ version: v.tag, digest: r.digest });
      } catch (error) {
        if (!isSlipwayError(error)) throw error;
        result.failed.push({ version: v.tag, error: `${error.code}: ${error.message}` });
      }
    }
    const lastError = result.failed.length > 0 ? `${result.failed.length} version(s) not imported, e.g. ${result.failed[0]!.version}: ${result.failed[0]!.error}` : null;
    await services.db.updateTable('applications').set({ last_error: lastError }).where('id', '=', app.id).execute();
    return result;
  } catch (error) {
    if (!isSlipwayError(error)) throw error;
    await services.db.updateTable('applications').set({ last_error: `${error.code}: ${error.message}` }).where('id', '=', app.id).execute();
    throw error;
  }
}

/**
 * Polls every upstream application whose interval has passed, every `tickMs`, and records the new
 * semver tags of project applications (so their versions are announced without anyone looking);
 * the returned function stops it (after a poll under way). `poke` nudges the notification deliverer.
 */
export function startUpstreamWatcher(services: RemoteServices, logger: Logger, tickMs = 15_000, poke?: () => void): () => Promise<void> {
  let current: Promise<void> | null = null;
  let stopped = false;
  const tick = (): void => {
    if (current || stopped) return;
    current = run().finally(() => {
      current = null;
    });
  };
  const run = async (): Promise<void> => {
    try {
      const apps = await services.db.selectFrom('applications').selectAll().execute();
      const now = Date.now();
      for (const app of apps) {
        if (stopped) return;
        if (app.source === 'project') {
          await syncProjectVersions(services.db, app, poke).catch((error: unknown) => logger.warn({ application: app.name, err: error }, 'reading the versions of a project application failed'));
          continue;
        }
        const due = app.last_polled_at === null || now - Date.parse(app.last_polled_at) >= (app.poll_seconds ?? 300) * 1000;
        if (!due || !(await claim(services.db, app))) continue;
        const r = await pollUpstream(services, app, { claimed: true, poke }).catch((error: unknown) => {
          logger.warn({ application: app.name, err: isSlipwayError(error) ? error.message : error }, 'polling an upstream failed');
          return null;
        });
        if (r && r.imported.length > 0) logger.info({ application: app.name, versions: r.imported.map((i) => i.version) }, 'imported new upstream versions');
      }
    } catch (error) {
      logger.warn({ err: error }, 'the upstream watcher could not run');
    }
  };
  const timer = setInterval(tick, tickMs);
  timer.unref();
  tick();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await current;
  };
}
