/**
 * Adding a server: a name, optional labels, how long its join token lasts, and the workspace it
 * is dedicated to (`server add -w`: only that workspace's environments run there) — picked by an
 * instance admin, fixed on a workspace's page (its owners'); the answer's join token is shown once.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, get, post } from '../api';
import { parseLabels } from '../labels';
import type { CreateServerBody, JoinTokenInfo, WorkspaceList } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { JoinToken } from './JoinToken';
import { TtlSelect } from './ServerBits';

/** `workspace`: the workspace whose page this is (the server is dedicated to it); absent: the instance admin's form, which picks one or none. */
export function AddServer({ onAdded, workspace: fixed }: { onAdded(): void; workspace?: string }) {
  const [name, setName] = useState('');
  const [labels, setLabels] = useState('');
  const [ttl, setTtl] = useState(1800);
  const [picked, setPicked] = useState('');
  const workspace = fixed ?? picked;
  const [invalid, setInvalid] = useState<ApiError | null>(null);
  const [token, setToken] = useState<JoinTokenInfo | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseLabels(labels);
    if ('error' in parsed) return setInvalid(new ApiError('SLW_USAGE', parsed.error, 0));
    setInvalid(null);
    setToken(null);
    const body: CreateServerBody = { name: name.trim(), labels: parsed.labels, tokenTtlSeconds: ttl, ...(workspace ? { workspace } : {}) };
    const r = await action.run(() => post<JoinTokenInfo>('servers', body));
    if (!r) return;
    setName('');
    setLabels('');
    setPicked('');
    setToken(r);
    onAdded();
  };
  return (
    <>
      {token && <JoinToken token={token} onDone={() => setToken(null)} />}
      <form onSubmit={submit} className="card form" aria-labelledby="add-server-title" autoComplete="off">
        <h2 id="add-server-title">Add a server</h2>
        <p className="muted small">Slipway answers with a single-use join token; the server's agent joins with it and dials this control plane's agent gateway.</p>
        <div className="fields">
          <div>
            <label htmlFor="server-name">Name</label>
            <input id="server-name" value={name} onChange={(e) => setName(e.target.value)} required spellCheck={false} placeholder="edge-1" />
          </div>
          <div>
            <label htmlFor="server-labels">Labels (optional)</label>
            <input id="server-labels" value={labels} onChange={(e) => setLabels(e.target.value)} spellCheck={false} placeholder="region=eu zone=a" />
          </div>
          <div>
            <label htmlFor="server-ttl">Join token valid for</label>
            <TtlSelect id="server-ttl" value={ttl} onChange={setTtl} />
          </div>
          {!fixed && <WorkspacePick value={picked} onChange={setPicked} />}
        </div>
        {fixed && <p className="muted small">Dedicated to workspace {fixed}: only its environments run there, and its owners manage it.</p>}
        <ErrorNote error={invalid ?? action.error} />
        <button type="submit" disabled={action.busy || name.trim() === ''}>
          {action.busy ? 'Adding…' : 'Add server'}
        </button>
      </form>
    </>
  );
}

function WorkspacePick({ value, onChange }: { value: string; onChange(ws: string): void }) {
  const workspaces = useLoad(() => get<WorkspaceList>('workspaces'), 'workspaces');
  return (
    <div>
      <label htmlFor="server-workspace">Dedicated to</label>
      <select id="server-workspace" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">the whole instance</option>
        {workspaces.data?.workspaces.map((w) => (
          <option key={w.name} value={w.name}>
            workspace {w.name}
          </option>
        ))}
      </select>
    </div>
  );
}
