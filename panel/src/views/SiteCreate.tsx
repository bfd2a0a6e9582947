/** Creating a site of an application: its name, the version to deploy (or none yet), labels, channel, policy and maintenance window. */
import { useState, type FormEvent } from 'react';
import { post } from '../api';
import { labelTerms } from '../labels';
import type { ApplicationVersion, CreateSiteBody, SiteCreated } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';
import { PolicyField, WindowField } from './SiteFields';

const latest = '';
const none = '-';

export function CreateSite({ base, versions, onCreated }: { base: string; versions: ApplicationVersion[]; onCreated(): void }) {
  const [name, setName] = useState('');
  const [version, setVersion] = useState(latest);
  const [labels, setLabels] = useState('');
  const [channel, setChannel] = useState('stable');
  const [policy, setPolicy] = useState<NonNullable<CreateSiteBody['policy']>>('manual');
  const [maintenance, setMaintenance] = useState('');
  const [created, setCreated] = useState<SiteCreated | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: CreateSiteBody = { name: name.trim(), labels: labelTerms(labels), channel: channel.trim() || 'stable', policy };
    if (maintenance.trim()) body.window = maintenance.trim();
    if (version === none) body.deploy = false;
    else if (version !== latest) body.version = version;
    const r = await action.run(() => post<SiteCreated>(base, body));
    if (!r) return;
    setCreated(r);
    setName('');
    setLabels('');
    setMaintenance('');
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
        <PolicyField id="site-policy" value={policy} onChange={setPolicy} />
        <WindowField id="site-window" value={maintenance} onChange={setMaintenance} />
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
