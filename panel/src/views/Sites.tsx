/** An application's sites: each with its version, labels, channel, policy and state, filtered by a selector; and creating one (name, version, labels). */
import { useState, type FormEvent } from 'react';
import { get, path, post } from '../api';
import { href } from '../router';
import type { ApplicationVersion, CreateSiteBody, SiteCreated, SiteList } from '../types';
import { ErrorNote, Link, Loading, StatusBadge, Table } from '../ui/bits';
import { useAction, useLoad, usePoll } from '../ui/hooks';

/** `region=eu, plan=gold` (commas or spaces between) as labels; a term without `=` is sent as is, for the server to refuse with its code. */
function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const term of text.split(/[,\s]+/).filter(Boolean)) {
    const eq = term.indexOf('=');
    out[eq < 0 ? term : term.slice(0, eq)] = eq < 0 ? '' : term.slice(eq + 1);
  }
  return out;
}

export function Sites({ ws, app, project, versions }: { ws: string; app: string; project: string | undefined; versions: ApplicationVersion[] }) {
  const base = path('workspaces', ws, 'applications', app, 'sites');
  const [draft, setDraft] = useState('');
  const [selector, setSelector] = useState('');
  const sites = useLoad(() => get<SiteList>(base, { sites: selector }), `${base}?${selector}`);
  const list = sites.data?.sites ?? [];
  usePoll(sites.reload, list.some((s) => s.state === 'deploying'));
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
      {!sites.data && !sites.error && <Loading what="sites" />}
      {sites.data && list.length === 0 && <p className="muted">{selector ? `No site matches ${selector}.` : 'No sites yet: create one below.'}</p>}
      {list.length > 0 && (
        <Table caption={`Sites of ${app}${selector ? ` matching ${selector}` : ''}`} columns={['Name', 'Version', 'State', 'Labels', 'Channel', 'Policy', 'Window']}>
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
            </tr>
          ))}
        </Table>
      )}
      <CreateSite base={base} versions={versions} onCreated={sites.reload} />
    </section>
  );
}

const latest = '';
const none = '-';

function CreateSite({ base, versions, onCreated }: { base: string; versions: ApplicationVersion[]; onCreated(): void }) {
  const [name, setName] = useState('');
  const [version, setVersion] = useState(latest);
  const [labels, setLabels] = useState('');
  const [channel, setChannel] = useState('stable');
  const [policy, setPolicy] = useState<NonNullable<CreateSiteBody['policy']>>('manual');
  const [created, setCreated] = useState<SiteCreated | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: CreateSiteBody = { name: name.trim(), labels: parseLabels(labels), channel: channel.trim() || 'stable', policy };
    if (version === none) body.deploy = false;
    else if (version !== latest) body.version = version;
    const r = await action.run(() => post<SiteCreated>(base, body));
    if (!r) return;
    setCreated(r);
    setName('');
    setLabels('');
    onCreated();
  };
  return (
    <form onSubmit={submit} className="card form" aria-labelledby="create-site-title" autoComplete="off">
      <h3 id="create-site-title">Create a site</h3>
      <div className="fields">
        <div>
          <label htmlFor="site-name">Site name</label>
          <input id="site-name" value={name} onChange={(e) => setName(e.target.value)} required spellCheck={false} placeholder="acme" />
        </div>
        <div>
          <label htmlFor="site-version">Version</label>
          <select id="site-version" value={version} onChange={(e) => setVersion(e.target.value)}>
            <option value={latest}>the latest on its channel</option>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
                {v.latest ? ' (latest)' : ''}
              </option>
            ))}
            <option value={none}>none yet (do not deploy)</option>
          </select>
        </div>
        <div className="wide">
          <label htmlFor="site-labels">Labels</label>
          <input id="site-labels" value={labels} onChange={(e) => setLabels(e.target.value)} spellCheck={false} placeholder="customer=acme, region=eu, plan=gold" />
        </div>
        <div>
          <label htmlFor="site-channel">Channel</label>
          <input id="site-channel" value={channel} onChange={(e) => setChannel(e.target.value)} spellCheck={false} />
        </div>
        <div>
          <label htmlFor="site-policy">Policy</label>
          <select id="site-policy" value={policy} onChange={(e) => setPolicy(e.target.value as typeof policy)}>
            <option value="manual">manual</option>
            <option value="continuous">continuous</option>
            <option value="staged">staged</option>
          </select>
        </div>
      </div>
      <ErrorNote error={action.error} />
      {created && (
        <p className="muted" role="status">
          Created site {created.site.name}
          {created.deployment ? `: deploying ${created.version} (release #${created.deployment.releaseNumber})` : created.approval ? `: the deploy of ${created.version} waits for approval` : `: ${created.note ?? 'nothing deployed'}`}
        </p>
      )}
      <button type="submit" disabled={action.busy}>
        {action.busy ? 'Creating…' : 'Create site'}
      </button>
    </form>
  );
}
