/** Attaching one of the workspace's services to an environment, with an optional variable prefix (disabled where the caller may not: `allowed`). */
import { useState, type FormEvent } from 'react';
import { get, path, post } from '../api';
import { href } from '../router';
import type { AttachBody, AttachmentChange, ServiceList } from '../types';
import { ErrorNote, Link } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';

export function AttachService({ ws, env, url, allowed, onAttached, onRefused }: { ws: string; env: string; url: string; allowed: boolean; onAttached(change: AttachmentChange): void; onRefused(): void }) {
  const servicesUrl = path('workspaces', ws, 'services');
  const services = useLoad(() => get<ServiceList>(servicesUrl), servicesUrl);
  const [service, setService] = useState('');
  const [prefix, setPrefix] = useState('');
  const action = useAction();
  const list = services.data?.services ?? [];
  const chosen = service || list[0]?.name || '';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: AttachBody = { service: chosen, ...(prefix.trim() ? { as: prefix.trim() } : {}) };
    const r = await action.run(() => post<AttachmentChange>(url, body));
    if (!r) return onRefused();
    setPrefix('');
    onAttached(r);
    services.reload();
  };
  return (
    <form onSubmit={submit} className="card form" aria-labelledby="attach-title">
      <h2 id="attach-title">Attach a service to {env}</h2>
      <ErrorNote error={services.error} />
      {services.data && list.length === 0 ? (
        <p className="muted">
          The workspace has no services yet: <Link to={href('w', ws, 'services')}>adopt one</Link>.
        </p>
      ) : (
        <fieldset className="bare" disabled={!allowed}>
          <div className="fields">
            <div>
              <label htmlFor="attach-service">Service</label>
              <select id="attach-service" value={chosen} onChange={(e) => setService(e.target.value)}>
                {list.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.name} ({s.kind})
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label htmlFor="attach-as">Variable prefix (optional)</label>
              <input id="attach-as" value={prefix} onChange={(e) => setPrefix(e.target.value)} spellCheck={false} placeholder="ANALYTICS" />
            </div>
          </div>
          <p className="muted small">It gets a database, vhost or key prefix and credentials of its own, injected as variables; a running release rolls with them.</p>
          <ErrorNote error={action.error} />
          <button type="submit" disabled={action.busy || chosen === ''}>
            {action.busy ? 'Attaching…' : 'Attach'}
          </button>
        </fieldset>
      )}
    </form>
  );
}
