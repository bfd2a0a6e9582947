/**
 * One herd upgrade, live: its state and why, its options, a progress bar per wave with its step
 * counts, its sites (filterable by step and name) with Approve / Reject on staged sites waiting
 * for approval, and a site's step log. The status is read again when the workspace change stream
 * says the upgrade changed (its state, a site's step or log: at most about four times a second),
 * and after a reconnect; nothing is read in between, so a finished upgrade is not read again
 * unless it is resumed (its end is not read twice either). Pause, Resume and Abort (with "revert finished sites", behind a
 * confirmation) answer with the upgrade as it is then.
 */
import { useState } from 'react';
import { get, path, post } from '../api';
import { ago } from '../format';
import { href } from '../router';
import type { Application, HerdUpgrade as Upgrade } from '../types';
import { Badge, ErrorNote, Link, Loading, StatusBadge } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { useAction, useLoad } from '../ui/hooks';
import { useUpgradeChanges } from '../ui/live';
import { HerdSites } from './HerdSites';
import { HerdWaves } from './HerdWaves';
import { SiteLog } from './SiteLog';

export function HerdUpgrade({ ws, app, id }: { ws: string; app: string; id: string }) {
  const url = path('workspaces', ws, 'upgrades', id);
  const status = useLoad(() => get<Upgrade>(url), url);
  const appUrl = path('workspaces', ws, 'applications', app);
  const application = useLoad(() => get<Application>(appUrl), appUrl);
  const u = status.data;
  const live = u !== undefined && u.finishedAt === null;
  // An upgrade shown as it ended changes no more (a resume is announced as running): its end,
  // announced after a read that already saw it, is not read again.
  useUpgradeChanges(
    (c) => {
      if (c?.finished && u?.finishedAt && c.status === u.state) return;
      status.reload();
    },
    (c) => c.id === id,
  );
  const action = useAction();
  const [aborting, setAborting] = useState(false);
  const [logOf, setLogOf] = useState<string | null>(null);
  const act = async (verb: 'pause' | 'resume') => {
    if (await action.run(() => post<Upgrade>(`${url}/${verb}`))) status.reload();
  };
  const inFlight = u ? u.sites.filter((s) => !['pending', 'awaiting-approval', 'done', 'reverted', 'revert-failed', 'rejected', 'skipped'].includes(s.step)).length : 0;
  return (
    <section aria-labelledby="upgrade-title">
      <div className="heading-row">
        <h1 id="upgrade-title" className="long-name">
          Herd upgrade {id}
          {u ? ` of ${u.application} to ${u.to}` : ''}
        </h1>
        {u && (
          <span className="upgrade-state" role="status" aria-live="polite" data-state={u.state} data-finished={u.finishedAt === null ? 'no' : 'yes'}>
            <StatusBadge status={u.state} />
            {live && u.state !== 'running' && u.state !== 'paused' && <Badge tone="info">finishing</Badge>}
            {!live && <Badge tone="muted">finished</Badge>}
          </span>
        )}
      </div>
      <ErrorNote error={status.error} />
      {!u && !status.error && <Loading what="the upgrade" />}
      {u && (
        <>
          {u.reason && (
            <p className="note" data-reason="">
              {u.reason}
            </p>
          )}
          {u.state === 'running' && u.options.window && inFlight === 0 && u.sites.some((s) => s.step === 'pending') && (
            <p className="muted" data-window-note="">
              Sites start only inside its window <code>{u.options.window}</code> (UTC){u.sites.some((s) => s.step !== 'pending' && s.wave >= 0) ? '' : '; none has started yet'}.
            </p>
          )}
          <div className="actions">
            {u.state === 'running' && (
              <button type="button" disabled={action.busy} onClick={() => void act('pause')}>
                Pause
              </button>
            )}
            {(u.state === 'paused' || u.state === 'halted') && (
              <button type="button" disabled={action.busy} onClick={() => void act('resume')}>
                {u.state === 'halted' ? 'Resume (retry failed sites)' : 'Resume'}
              </button>
            )}
            {(u.state === 'running' || u.state === 'paused' || u.state === 'halted') && (
              <button type="button" className="danger" disabled={action.busy} onClick={() => setAborting(true)}>
                Abort…
              </button>
            )}
            <Link to={href('w', ws, 'apps', app)} className="button ghost">
              Back to {app}
            </Link>
          </div>
          <ErrorNote error={action.error} />
          <Options u={u} />
          <HerdWaves upgrade={u} />
          <HerdSites ws={ws} upgrade={u} url={url} project={application.data?.project ?? null} selected={logOf} onLog={setLogOf} onDecided={status.reload} />
          {logOf && <SiteLog url={url} upgrade={id} site={logOf} step={u.sites.find((s) => s.site === logOf)?.step ?? null} onClose={() => setLogOf(null)} />}
        </>
      )}
      {aborting && u && (
        <AbortDialog
          url={url}
          upgrade={u}
          onClose={() => setAborting(false)}
          onDone={() => {
            setAborting(false);
            status.reload();
          }}
        />
      )}
    </section>
  );
}

function Options({ u }: { u: Upgrade }) {
  const o = u.options;
  const sites = u.sites.filter((s) => s.wave >= 0).length;
  const skipped = u.sites.length - sites;
  return (
    <dl className="facts upgrade-facts">
      <dt>Sites</dt>
      <dd>
        {u.selector ? <code>{u.selector}</code> : 'all'} · {sites} to move{skipped > 0 ? `, ${skipped} already on ${u.to}` : ''}
      </dd>
      <dt>Waves</dt>
      <dd>
        {o.canary} canar{o.canary === 1 ? 'y' : 'ies'}, then batches of {o.batch}; {o.parallel} at once
      </dd>
      <dt>Bake</dt>
      <dd>{o.bakeSeconds === 0 ? 'none' : `${o.bakeSeconds}s`}</dd>
      <dt>Failures</dt>
      <dd data-failures="">
        {u.failures} of {u.failureBudget} tolerated{o.failureBudget !== String(u.failureBudget) ? ` (budget ${o.failureBudget})` : ''}
      </dd>
      <dt>Window</dt>
      <dd>{o.window ? <code>{o.window}</code> : 'any time'}</dd>
      <dt>Downgrade</dt>
      <dd>{o.allowDowngrade ? 'allowed' : 'no'}</dd>
      {o.revertOnAbort !== undefined && (
        <>
          <dt>On abort</dt>
          <dd>{o.revertOnAbort ? 'finished sites reverted' : 'finished sites left on the new version'}</dd>
        </>
      )}
      <dt>Trigger</dt>
      <dd>{u.trigger}</dd>
      <dt>Started</dt>
      <dd title={u.createdAt}>{ago(u.createdAt)}</dd>
      <dt>Finished</dt>
      <dd title={u.finishedAt ?? undefined}>{u.finishedAt ? ago(u.finishedAt) : 'not yet'}</dd>
    </dl>
  );
}

function AbortDialog({ url, upgrade: u, onClose, onDone }: { url: string; upgrade: Upgrade; onClose(): void; onDone(): void }) {
  const [revert, setRevert] = useState(false);
  const done = u.sites.filter((s) => s.step === 'done').length;
  return (
    <ConfirmDialog title={`Abort herd upgrade ${u.id}?`} confirm={revert ? 'Abort and revert' : 'Abort upgrade'} busy="Aborting…" action={() => post<Upgrade>(`${url}/abort`, { revert })} onDone={onDone} onClose={onClose}>
      <p>No more sites start; the sites in flight finish (a staged site waiting for approval has its clone removed). The upgrade cannot be resumed.</p>
      <label className="check">
        <input type="checkbox" checked={revert} onChange={(e) => setRevert(e.target.checked)} />
        Also revert the {done} site{done === 1 ? '' : 's'} it finished (previous release back, backups restored: data written since is lost)
      </label>
    </ConfirmDialog>
  );
}
