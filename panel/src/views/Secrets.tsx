/**
 * An environment's secrets by name, version and layer: write-only. A value can be set or
 * replaced, never read back (the API has no way to, and the panel never holds one after saving).
 */
import { useState, type FormEvent } from 'react';
import { del, get, path, put } from '../api';
import { ago } from '../format';
import type { EnvironmentSecretSet, SecretList } from '../types';
import { Badge, ErrorNote, Loading, Table } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { ChangeNote } from './Config';

export function Secrets({ ws, project, env }: { ws: string; project: string; env: string }) {
  const url = `${path('workspaces', ws, 'projects', project, 'environments', env)}/secrets`;
  const secrets = useLoad(() => get<SecretList>(url), url);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [restart, setRestart] = useState(true);
  const [result, setResult] = useState<{ version: number; deployment: { id: string; releaseNumber: number } | null } | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await action.run(() => put<EnvironmentSecretSet>(`${url}/${encodeURIComponent(name.trim())}`, { value }, { restart: String(restart) }));
    setValue('');
    if (!r) return;
    setName('');
    setResult(r);
    secrets.reload();
  };
  return (
    <>
      <ErrorNote error={secrets.error} />
      {!secrets.data && !secrets.error && <Loading what="secrets" />}
      {secrets.data && secrets.data.secrets.length === 0 && <p className="muted">No secrets.</p>}
      {secrets.data && secrets.data.secrets.length > 0 && (
        <Table caption={`Secrets of ${env} (values are never shown)`} columns={['Name', 'Version', 'Layer', 'Updated', '']}>
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
                <button type="button" className="ghost" onClick={() => (setName(s.name), document.getElementById('secret-value')?.focus())}>
                  Replace<span className="sr-only"> {s.name}</span>
                </button>
                {s.layer === 'environment' && (
                  <button type="button" className="ghost danger" disabled={action.busy} onClick={() => void action.run(() => del(`${url}/${encodeURIComponent(s.name)}`)).then(secrets.reload)}>
                    Delete<span className="sr-only"> {s.name}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      <form onSubmit={submit} className="card form" aria-labelledby="secret-form-title" autoComplete="off">
        <h2 id="secret-form-title">Set or replace a secret in {env}</h2>
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
        <label className="check">
          <input type="checkbox" checked={restart} onChange={(e) => setRestart(e.target.checked)} /> Roll a new release now (if {env} runs)
        </label>
        <ErrorNote error={action.error} />
        <button type="submit" disabled={action.busy || name.trim() === '' || value === ''}>
          Save secret
        </button>
        <ChangeNote ws={ws} result={result} />
      </form>
    </>
  );
}
