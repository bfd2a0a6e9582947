/**
 * "shop 1.3.0 (minor) is available; 2 site(s) run older versions: …": the notification of a
 * newly recorded version, once per version (its key is `version:<tag>`), with the sites on older
 * versions of a channel that takes it (core/notifications.ts).
 *
 * An application's first versions (recorded when nothing was recorded before: the application
 * was just made, or its repository had no version yet) are its starting point, not news; callers
 * skip them.
 *
 * @module
 */
import { classifyAll } from '../core/semver.js';
import { versionNotice } from '../core/notifications.js';
import type { ApplicationsTable } from '../store/schema.js';
import { notify, type NotifyContext } from './notifications.js';
import { siteRows } from './site-rows.js';

/** Notifies each of `tags` (versions of `app` just recorded); returns how many notifications were new. */
export async function notifyNewVersions(ctx: NotifyContext, app: ApplicationsTable, tags: readonly string[]): Promise<number> {
  if (tags.length === 0) return 0;
  const all = (await ctx.db.selectFrom('application_versions').select('tag').where('application_id', '=', app.id).execute()).map((r) => r.tag);
  const classes = new Map(classifyAll(all).map((c) => [c.version.tag, c.class]));
  const sites = await siteRows(ctx.db, app.id);
  let created = 0;
  for (const tag of tags) {
    const n = versionNotice(app.name, tag, classes.get(tag) ?? 'first', sites);
    const r = await notify(ctx, app, { kind: 'version', message: n.message, details: n.details, dedupeKey: `version:${tag}` });
    if (r.created) created += 1;
  }
  return created;
}
