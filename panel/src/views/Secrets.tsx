/**
 * Secrets of one layer by name, version and layer: write-only. An environment's (each with the
 * layer it comes from, project base or this environment), or the project's base layer (`env`
 * absent: `secret set` without `-e`) that every environment inherits unless it sets the name
 * itself. A value can be set or replaced, never read back (the API has no way to, and the panel
 * never holds one after saving). A layer that sets the variables of an environment requiring
 * approval is for admins and owners: for another role its controls are disabled with a note
 * (Config.tsx says how; the API's SLW_FORBIDDEN is shown for a role lowered since).
 */
import { useState, type FormEvent } from 'react';
import { layerEditing } from '../access';
import { del, get, path, put } from '../api';
import { ago } from '../format';
import { href } from '../router';
import type { SecretList } from '../types';
import { Badge, ErrorNote, Link, Loading, Table } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { useWorkspace } from '../ui/workspace';
import { ChangeNote, LayerFieldset, RollNow } from './Config';

interface SecretSet {
  version: number;
  deployment?: { id: string; releaseNumber: number } | null;
}

export function Secrets({ ws, project, env }: { ws: string; project: string; env?: string }) {
  const url = env ? `${path('workspaces', ws, 'projects', project, 'environments', env)}/secrets` : `${path('workspaces', ws, 'projects', project)}/secrets`;
  const own = env ? 'environment' : 'base';
  const secrets = useLoad(() => get<SecretList>(url), url);
  const workspace = useWorkspace(ws);
  const editing = layerEditing(workspace.data?.role, secrets.data?.requiresApprovalIn, env);
  /** After a refusal: a role lowered (or an approval required) since the page was read shows in the controls. */
  const readAgain = () => {
    workspace.reload();
    secrets.reload();
  };
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [restart, setRestart] = useState(true);
  const [result, setResult] = useState<SecretSet | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await action.run(() => put<SecretSet>(`${url}/${encodeURIComponent(name.trim())}`, { value }, env ? { restart: String(restart) } : undefined));
    setValue('');
    if (!r) return readAgain();
    setName('');
    setResult(r);
    secrets.reload();
  };
  return (
    <>
      <ErrorNote error={secrets.error} />
      {!secrets.data && !secrets.error && <Loading what="secrets" />}
      {!env && <p className="muted">Every environment of the project gets these secrets unless it sets the name itself; a change reaches each environment at its next release.</p>}
      {env && (
        <p className="muted">
          Secrets of the project's base layer apply to every environment unless this one sets them: <Link to={href('w', ws, 'p', project, 'config')}>edit the base layer</Link>.
        </p>
      )}
      {secrets.data && secrets.data.secrets.length === 0 && <p className="muted">No secrets.</p>}
      {secrets.data && secrets.data.secrets.length > 0 && (
        <Table caption={`${env ? `Secrets of ${env}` : `Base secrets of ${project}`} (values are never shown)`} columns={['Name', 'Version', 'Layer', 'Updated', '']}>
          {secrets.data.secrets.map((s) => (
            <tr key={s.name} data-secret={s.name}>
              <td>
                <code>{s.name}</code>
              </td>
              <td>v{s.version}</td>
              <td>
                <Badge tone={s.layer === 'environment' ? 'info' : 'muted'}>{s.layer === 'environment' ? env : 'project base'}</Badge>
              </td>
              <td>
                {ago(s.updatedAt)}
                {s.updatedBy ? ` by ${s.updatedBy}` : ''}
              </td>
              <td className="actions">
                <button type="button" className="ghost" disabled={!editing.allowed} onClick={() => (setName(s.name), document.getElementById('secret-value')?.focus())}>
                  Replace<span className="sr-only"> {s.name}</span>
                </button>
                {s.layer === own && (
                  <button type="button" className="ghost danger" disabled={action.busy || !editing.allowed} onClick={() => void action.run(() => del(`${url}/${encodeURIComponent(s.name)}`)).then((r) => (r ? secrets.reload() : readAgain()))}>
                    Delete<span className="sr-only"> {s.name}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      <form onSubmit={submit} className="card form" aria-labelledby="secret-form-title" autoComplete="off">
        <h2 id="secret-form-title">Set or replace a secret in {env ?? 'the project base layer'}</h2>
        <LayerFieldset id="secrets-protected" editing={editing}>
          <div className="fields">
            <div>
              <label htmlFor="secret-name">Name</label>
              <input id="secret-name" value={name} onChange={(e) => setName(e.target.value)} required spellCheck={false} placeholder="DATABASE_PASSWORD" />
            </div>
            <div>
              <label htmlFor="secret-value">Value (write-only)</label>
              <input id="secret-value" type="password" autoComplete="new-password" value={value} onChange={(e) => setValue(e.target.value)} required />
            </div>
          </div>
          <RollNow env={env} restart={restart} setRestart={setRestart} base="No release rolls now: each environment gets the change at its next release." />
        </LayerFieldset>
        <ErrorNote error={action.error} />
        <button type="submit" disabled={action.busy || name.trim() === '' || value === '' || !editing.allowed}>
          Save secret
        </button>
        <ChangeNote ws={ws} result={result} />
      </form>
    </>
  );
}
