/** The workspace's audit log with filters (action or action prefix, actor, since), paged. */
import { useState, type FormEvent } from 'react';
import { get, path } from '../api';
import type { AuditList } from '../types';
import { ErrorNote, Loading, Table } from '../ui/bits';
import { useLoad } from '../ui/hooks';

interface Filters {
  action: string;
  actor: string;
  since: string;
  before: string;
}

const empty: Filters = { action: '', actor: '', since: '', before: '' };
const pageSize = 50;

export function Audit({ ws }: { ws: string }) {
  const [draft, setDraft] = useState<Filters>(empty);
  const [filters, setFilters] = useState<Filters>(empty);
  const url = `${path('workspaces', ws)}/audit`;
  const query = { action: filters.action, actor: filters.actor, since: filters.since ? new Date(filters.since).toISOString() : undefined, before: filters.before, limit: pageSize };
  const audit = useLoad(() => get<AuditList>(url, query), `${url}?${JSON.stringify(query)}`);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ ...draft, before: '' });
  };
  const events = audit.data?.events ?? [];
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log of {ws}</h1>
      <form onSubmit={apply} className="card form filters" aria-label="Filters">
        <div className="fields">
          <div>
            <label htmlFor="audit-action">Action</label>
            <input id="audit-action" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })} placeholder="promotion.* or secret.set" spellCheck={false} />
          </div>
          <div>
            <label htmlFor="audit-actor">Actor e-mail</label>
            <input id="audit-actor" type="email" value={draft.actor} onChange={(e) => setDraft({ ...draft, actor: e.target.value })} />
          </div>
          <div>
            <label htmlFor="audit-since">Since</label>
            <input id="audit-since" type="datetime-local" value={draft.since} onChange={(e) => setDraft({ ...draft, since: e.target.value })} />
          </div>
        </div>
        <div className="actions">
          <button type="submit">Apply filters</button>
          <button type="button" className="ghost" onClick={() => (setDraft(empty), setFilters(empty))}>
            Clear
          </button>
        </div>
      </form>
      <ErrorNote error={audit.error} />
      {!audit.data && !audit.error && <Loading what="the audit log" />}
      {audit.data && events.length === 0 && <p className="muted">No events match.</p>}
      {events.length > 0 && (
        <Table caption={'Audit events, newest first'} columns={['When', 'Actor', 'Action', 'Target', 'Details']}>
          {events.map((e) => (
            <tr key={e.id}>
              <td>
                <time dateTime={e.at}>{e.at.replace('T', ' ').slice(0, 19)}</time>
              </td>
              <td>{e.actor.email ?? e.actor.tokenName ?? '—'}</td>
              <td>
                <code>{e.action}</code>
              </td>
              <td>
                {e.targetType} {e.target}
              </td>
              <td className="details">{Object.keys(e.details).length ? JSON.stringify(e.details) : ''}</td>
            </tr>
          ))}
        </Table>
      )}
      {events.length === pageSize && (
        <button type="button" className="ghost" onClick={() => setFilters({ ...filters, before: events[events.length - 1]!.id })}>
          Older events
        </button>
      )}
      {filters.before && (
        <button type="button" className="ghost" onClick={() => setFilters({ ...filters, before: '' })}>
          Newest events
        </button>
      )}
    </section>
  );
}
