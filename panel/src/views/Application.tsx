/** One application: where its versions come from, its versions with the sites on each, checking the upstream now, its herd upgrades, its sites, how its automatic upgrades move, and forgetting it. */
import { useState } from 'react';
import { get, path, post } from '../api';
import { href, navigate } from '../router';
import type { Application as App, ApplicationVersionList, PollResult } from '../types';
import { ErrorNote, Loading } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { HerdUpgrades } from './HerdUpgrades';
import { Sites } from './Sites';
import { AppNotifications } from './AppNotifications';
import { AppContinuous } from './AppContinuous';
import { ForgetApplication } from './ForgetApplication';
import { VersionMatrix } from './VersionMatrix';

export function Application({ ws, app }: { ws: string; app: string }) {
  const base = path('workspaces', ws, 'applications', app);
  const info = useLoad(() => get<App>(base), base);
  const versions = useLoad(() => get<ApplicationVersionList>(`${base}/versions`), `${base}/versions`);
  const poll = useAction();
  const [polled, setPolled] = useState<PollResult | null>(null);
  const a = info.data;
  return (
    <section aria-labelledby="app-title">
      <h1 id="app-title">Application {app}</h1>
      <ErrorNote error={info.error} />
      {!a && !info.error && <Loading what="the application" />}
      {a && (
        <dl className="facts">
          <dt>Versions from</dt>
          <dd>{a.source === 'upstream' ? <code>{a.upstream}</code> : `project ${a.project}`}</dd>
          <dt>Latest</dt>
          <dd>{a.latest ?? 'none yet'}</dd>
          {a.source === 'upstream' && (
            <>
              <dt>Polled</dt>
              <dd>
                every {a.pollSeconds}s, last {a.lastPolledAt ?? 'never'}
                {a.lastError && <div className="bad">{a.lastError}</div>}
              </dd>
              <dt>Images in</dt>
              <dd>project {a.project}</dd>
            </>
          )}
        </dl>
      )}
      {a?.source === 'upstream' && (
        <p>
          <button
            type="button"
            disabled={poll.busy}
            onClick={async () => {
              const r = await poll.run(() => post<PollResult>(`${base}/poll`));
              if (!r) return;
              setPolled(r);
              info.reload();
              versions.reload();
            }}
          >
            {poll.busy ? 'Checking…' : 'Check the upstream now'}
          </button>
          {polled && <span className="muted" role="status"> {polled.imported.length === 0 ? 'no new versions' : `imported ${polled.imported.map((i) => i.version).join(', ')}`}{polled.failed.length > 0 ? `; ${polled.failed.length} not imported` : ''}</span>}
        </p>
      )}
      <ErrorNote error={poll.error} />
      <VersionMatrix ws={ws} app={app} project={a?.project} versions={versions.data?.versions} />
      <ErrorNote error={versions.error} />
      {a && <HerdUpgrades ws={ws} app={app} versions={versions.data?.versions ?? []} />}
      {a && <Sites ws={ws} app={app} project={a.project} versions={versions.data?.versions ?? []} />}
      {a && <AppContinuous url={base} options={a.continuous} onChanged={() => info.reload()} />}
      {a && (
        <AppNotifications
          ws={ws}
          app={app}
          upstream={a.source === 'upstream'}
          notifyUrl={a.notifyUrl}
          onChanged={() => {
            info.reload();
            versions.reload();
          }}
        />
      )}
      <ForgetApplication url={base} app={app} onForgotten={() => navigate(href('w', ws, 'apps'))} />
    </section>
  );
}
