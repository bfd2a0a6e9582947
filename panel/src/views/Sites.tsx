/**
 * An application's sites: each with its version, labels, channel, policy, window and state,
 * filtered by a selector; creating one (SiteCreate), editing one (SiteEditDialog: labels,
 * channel, policy, window) and removing one after a confirmation that names what goes, as
 * `slipway site create`, `site set` and `site remove` do.
 */
import { useState, type FormEvent } from 'react';
import { del, get, path } from '../api';
import { href } from '../router';
import type { ApplicationVersion, Site, SiteList } from '../types';
import { ErrorNote, Link, Loading, StatusBadge, Table } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { useLoad, usePoll } from '../ui/hooks';
import { CreateSite } from './SiteCreate';
import { SiteEditDialog } from './SiteEditDialog';

export function Sites({ ws, app, project, versions }: { ws: string; app: string; project: string | undefined; versions: ApplicationVersion[] }) {
  const base = path('workspaces', ws, 'applications', app, 'sites');
  const [draft, setDraft] = useState('');
  const [selector, setSelector] = useState('');
  const [editing, setEditing] = useState<Site | null>(null);
  const [removing, setRemoving] = useState<Site | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const sites = useLoad(() => get<SiteList>(base, { sites: selector }), `${base}?${selector}`);
  const list = sites.data?.sites ?? [];
  usePoll(sites.reload, list.some((s) => s.state === 'deploying'));
  const finished = (note: string) => {
    setEditing(null);
    setRemoving(null);
    setDone(note);
    sites.reload();
  };
  const filter = (e: FormEvent) => {
    e.preventDefault();
    setSelector(draft.trim());
  };
  return (
    <section aria-labelledby="sites-title">
      <h2 id="sites-title">Sites</h2>
      <p className="muted">A site is an environment of {project ? `project ${project}` : 'the application’s project'} run for one customer: its own config, secrets, domain and services, with labels to select it by.</p>
      <form onSubmit={filter} className="card form filters" aria-label="Filter sites">
        <div>
          <label htmlFor="site-selector">Selector</label>
          <input id="site-selector" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="region=eu,plan!=free,version=1.2.0,!legacy" spellCheck={false} />
        </div>
        <div className="actions">
          <button type="submit">Filter</button>
          <button type="button" className="ghost" onClick={() => (setDraft(''), setSelector(''))}>
            Clear
          </button>
        </div>
      </form>
      <ErrorNote error={sites.error} />
      {done && (
        <p className="muted" role="status" data-site-done="">
          {done}
        </p>
      )}
      {!sites.data && !sites.error && <Loading what="sites" />}
      {sites.data && list.length === 0 && <p className="muted">{selector ? `No site matches ${selector}.` : 'No sites yet: create one below.'}</p>}
      {list.length > 0 && (
        <Table caption={`Sites of ${app}${selector ? ` matching ${selector}` : ''}`} columns={['Name', 'Version', 'State', 'Labels', 'Channel', 'Policy', 'Window', '']}>
          {list.map((s) => (
            <tr key={s.name} data-site={s.name}>
              <td>
                <Link to={href('w', ws, 'p', s.project, 'e', s.name)}>{s.name}</Link>
              </td>
              <td>{s.version ?? '—'}</td>
              <td>
                <StatusBadge status={s.state} />
              </td>
              <td className="labels">
                {Object.entries(s.labels).map(([k, v]) => (
                  <code key={k}>
                    {k}={v}
                  </code>
                ))}
              </td>
              <td>{s.channel}</td>
              <td>{s.policy}</td>
              <td>{s.window ? <code>{s.window}</code> : 'any time'}</td>
              <td>
                <div className="actions row-actions">
                  <button type="button" className="ghost" onClick={() => (setDone(null), setEditing(s))}>
                    Edit<span className="sr-only"> site {s.name}</span>
                  </button>
                  <button type="button" className="ghost danger" onClick={() => (setDone(null), setRemoving(s))}>
                    Remove<span className="sr-only"> site {s.name}</span>
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <CreateSite base={base} versions={versions} onCreated={sites.reload} />
      {editing && <SiteEditDialog url={path(base, editing.name)} site={editing} onClose={() => setEditing(null)} onSaved={(s, labels) => finished(`Updated site ${s.name}${labels ? ': its workloads see the labels at their next deploy or job run' : ''}.`)} />}
      {removing && <RemoveSite url={path(base, removing.name)} site={removing} app={app} onClose={() => setRemoving(null)} onRemoved={() => finished(`Removed site ${removing.name}.`)} />}
    </section>
  );
}

function RemoveSite({ url, site: s, app, onClose, onRemoved }: { url: string; site: Site; app: string; onClose(): void; onRemoved(): void }) {
  return (
    <ConfirmDialog title={`Remove site ${s.name}?`} confirm={`Remove ${s.name}`} busy="Removing…" action={() => del(url)} onDone={onRemoved} onClose={onClose}>
      <p>
        This removes site {s.name} of {app} for good, as <code>env delete</code> does: its containers and its route <code>{s.domain}</code> stop, and its releases, config and secrets are deleted. Its services keep their data (their credentials for it are revoked).
      </p>
      <p className="muted">Refused while a herd upgrade of {app} runs or is paused.</p>
    </ConfirmDialog>
  );
}
