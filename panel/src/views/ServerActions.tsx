/**
 * What an admin does to one server: a new join token while it is pending (shown once), a new
 * certificate now while it is connected (`server rotate`: the agent renews over its session), revoke
 * (confirmed in a dialog naming the server; cannot be undone), remove (confirmed; the API refuses
 * while anything is placed on it, and that refusal is shown with its code).
 */
import { useState } from 'react';
import { del, path, post } from '../api';
import type { JoinTokenInfo, ServerInfo } from '../types';
import { ErrorNote } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { useAction } from '../ui/hooks';
import { JoinToken } from './JoinToken';
import { TtlSelect } from './ServerBits';

export function ServerActions({ server: s, onChanged, onRemoved }: { server: ServerInfo; onChanged(): void; onRemoved(): void }) {
  const url = path('servers', s.name);
  const [ttl, setTtl] = useState(1800);
  const [token, setToken] = useState<JoinTokenInfo | null>(null);
  const [asking, setAsking] = useState<'revoke' | 'remove' | null>(null);
  const issue = useAction();
  const [rotated, setRotated] = useState(false);
  const rotate = async () => {
    setRotated(false);
    if (await issue.run(() => post<ServerInfo>(`${url}/rotate`))) setRotated(true);
    onChanged();
  };
  const newToken = async () => {
    const r = await issue.run(() => post<JoinTokenInfo>(`${url}/token`, { tokenTtlSeconds: ttl }));
    if (r) setToken(r);
    onChanged();
  };
  return (
    <>
      <div className="actions">
        {s.state === 'pending' && (
          <span className="inline-form">
            <label htmlFor="token-ttl">Valid for</label>
            <TtlSelect id="token-ttl" value={ttl} onChange={setTtl} />
            <button type="button" disabled={issue.busy} onClick={() => void newToken()}>
              New join token
            </button>
          </span>
        )}
        {s.state === 'connected' && (
          <button type="button" className="ghost" disabled={issue.busy} onClick={() => void rotate()}>
            Rotate certificate
          </button>
        )}
        {s.state !== 'revoked' && (
          <button type="button" className="danger" onClick={() => setAsking('revoke')}>
            Revoke
          </button>
        )}
        <button type="button" className="ghost danger" onClick={() => setAsking('remove')}>
          Remove
        </button>
      </div>
      <ErrorNote error={issue.error} />
      {rotated && (
        <p role="status" className="note">
          Asked the agent of {s.name} for a new key and certificate: it renews over its session (nothing drops); the new expiry shows at its next report.
        </p>
      )}
      {token && <JoinToken token={token} onDone={() => setToken(null)} />}
      {asking === 'revoke' && <ServerConfirm server={s.name} verb="Revoke" action={() => post<unknown>(`${url}/revoke`)} onClose={() => setAsking(null)} onDone={() => (setAsking(null), onChanged())} />}
      {asking === 'remove' && <ServerConfirm server={s.name} verb="Remove" action={() => del<unknown>(url)} onClose={() => setAsking(null)} onDone={onRemoved} />}
    </>
  );
}

const consequences = {
  Revoke: (name: string) => `The agent of ${name} is disconnected at once and every later handshake is refused. This cannot be undone: to use the machine again, remove ${name} and add it anew.`,
  Remove: (name: string) => `${name} and its unused join tokens are deleted; a connected agent is disconnected. Slipway refuses while an environment or a service is placed on ${name}.`,
};

function ServerConfirm({ server, verb, action, onClose, onDone }: { server: string; verb: 'Revoke' | 'Remove'; action(): Promise<unknown>; onClose(): void; onDone(): void }) {
  return (
    <ConfirmDialog title={`${verb} server ${server}?`} confirm={`${verb} ${server}`} action={action} onDone={onDone} onClose={onClose}>
      <p>{consequences[verb](server)}</p>
    </ConfirmDialog>
  );
}
