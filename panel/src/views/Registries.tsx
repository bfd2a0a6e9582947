/**
 * A workspace's credentials for other registries (as `registry-credential add|list|remove`):
 * each host with its username, when it was added and changed; add or replace one (the password
 * in a write-only field, emptied once sent: the API never returns it) and remove one. Slipway
 * uses them to read upstream applications' tags and to import images from those hosts.
 */
import { useState, type FormEvent } from 'react';
import { del, get, path, put } from '../api';
import { ago } from '../format';
import type { CredentialList, RegistryCredential } from '../types';
import { ErrorNote, Loading, Table } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';

export function Registries({ ws }: { ws: string }) {
  const url = path('workspaces', ws, 'registry-credentials');
  const list = useLoad(() => get<CredentialList>(url), url);
  const [host, setHost] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const r = await action.run(() => put<RegistryCredential>(`${url}/${encodeURIComponent(host.trim())}`, { username: username.trim(), password }));
    setPassword('');
    if (!r) return;
    setDone(`Saved the credential for ${r.host} (user ${r.username}).`);
    setHost('');
    setUsername('');
    list.reload();
  };
  const remove = async (c: RegistryCredential) => {
    setDone(null);
    if (await action.run(() => del(`${url}/${encodeURIComponent(c.host)}`))) {
      setDone(`Removed the credential for ${c.host}.`);
      list.reload();
    }
  };
  const credentials = list.data?.credentials ?? [];
  return (
    <section aria-labelledby="registries-title">
      <h1 id="registries-title">Registry credentials of {ws}</h1>
      <p className="muted">Logins for other registries: Slipway uses them to read an upstream application's tags and to import images from that host. Passwords are stored encrypted and never shown.</p>
      <ErrorNote error={list.error} />
      {!list.data && !list.error && <Loading what="credentials" />}
      {list.data && credentials.length === 0 && <p className="muted">No credentials yet.</p>}
      {credentials.length > 0 && (
        <Table caption={`Registry credentials of ${ws} (passwords are never shown)`} columns={['Host', 'Username', 'Added', 'Changed', '']}>
          {credentials.map((c) => (
            <tr key={c.host} data-credential={c.host}>
              <td>
                <code>{c.host}</code>
              </td>
              <td>{c.username}</td>
              <td>{ago(c.createdAt)}</td>
              <td>{ago(c.updatedAt)}</td>
              <td className="actions">
                <button type="button" className="ghost" onClick={() => (setHost(c.host), setUsername(c.username), document.getElementById('credential-password')?.focus())}>
                  Replace<span className="sr-only"> the credential for {c.host}</span>
                </button>
                <button type="button" className="ghost danger" disabled={action.busy} onClick={() => void remove(c)}>
                  Remove<span className="sr-only"> the credential for {c.host}</span>
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <form onSubmit={save} className="card form" aria-labelledby="credential-form-title" autoComplete="off">
        <h2 id="credential-form-title">Add or replace a credential</h2>
        <div className="fields">
          <div>
            <label htmlFor="credential-host">Registry host</label>
            <input id="credential-host" value={host} onChange={(e) => setHost(e.target.value)} required spellCheck={false} placeholder="ghcr.io" />
          </div>
          <div>
            <label htmlFor="credential-username">Username</label>
            <input id="credential-username" value={username} onChange={(e) => setUsername(e.target.value)} required spellCheck={false} />
          </div>
          <div>
            <label htmlFor="credential-password">Password or token (write-only)</label>
            <input id="credential-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
          </div>
        </div>
        <ErrorNote error={action.error} />
        <button type="submit" disabled={action.busy || host.trim() === '' || username.trim() === '' || password === ''}>
          Save credential
        </button>
        {done && (
          <p role="status" className="note">
            {done}
          </p>
        )}
      </form>
    </section>
  );
}
