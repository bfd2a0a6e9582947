/**
 * One site's step log in a herd upgrade (backup, migration, deploy, bake, revert…), read again
 * when the site's step changes and, while it is moving, whenever the change stream says the
 * upgrade changed (a new line is one of those changes).
 */
import { useEffect } from 'react';
import { get, path } from '../api';
import { stepEnded } from '../herd';
import type { HerdSiteEvents } from '../types';
import { ErrorNote, Loading, PrunedNote } from '../ui/bits';
import { useLoad } from '../ui/hooks';
import { useUpgradeChanges } from '../ui/live';

const clock = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function SiteLog({ url, upgrade, site, step, onClose }: { url: string; upgrade: string; site: string; step: string | null; onClose(): void }) {
  const eventsUrl = `${url}/sites/${path(site)}/events`;
  const events = useLoad(() => get<HerdSiteEvents>(eventsUrl), eventsUrl);
  useUpgradeChanges(events.reload, (c) => c.id === upgrade && step !== null && step !== 'pending' && !stepEnded(step));
  // A new step (seen in the upgrade's status) has lines of its own: read them now, the last ones too.
  const reload = events.reload;
  useEffect(() => reload(), [step, reload]);
  const list = events.data?.events ?? [];
  return (
    <section aria-labelledby="site-log-title" className="panel-section" data-log-of={site}>
      <div className="heading-row">
        <h2 id="site-log-title">Step log of {site}</h2>
        <button type="button" className="ghost" onClick={onClose}>
          Close the log
        </button>
      </div>
      <ErrorNote error={events.error} />
      {!events.data && !events.error && <Loading what={`the step log of ${site}`} />}
      <PrunedNote at={events.data?.logsPrunedAt} />
      {events.data && list.length === 0 && !events.data.logsPrunedAt && <p className="muted">No steps of {site} yet: it has not started.</p>}
      {list.length > 0 && (
        <ol className="log" aria-label={`Steps of ${site}`}>
          {list.map((e, i) => (
            <li key={i} className={/fail|error/i.test(e.message) || e.step === 'revert-failed' ? 'log-error' : undefined}>
              <time dateTime={e.at}>{clock(e.at)}</time> <span className="step">{e.step}</span> <span className="message">{e.message}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
