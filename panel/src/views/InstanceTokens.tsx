/**
 * Instance tokens (`admin tokens list|create|revoke`): every instance token, never its value,
 * with Revoke on each active one after a confirmation, and creating one acting as you, its value
 * shown once. The list is the API's to refuse: a workspace token gets SLW_WORKSPACE_TOKEN_SCOPE,
 * a non-admin's instance token SLW_FORBIDDEN, shown here as they come.
 */
import { useState } from 'react';
import { del, get, path } from '../api';
import type { CreatedInstanceToken, InstanceToken, InstanceTokenList } from '../types';
import { ErrorNote, Loading } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { CopyField } from '../ui/copy';
import { useLoad } from '../ui/hooks';
import { ShownOnce } from '../ui/shown-once';
import { InstanceTokenCreate } from './InstanceTokenCreate';
import { TokenTable } from './TokenTable';

export function InstanceTokens({ current }: { current: string | undefined }) {
  const tokens = useLoad(() => get<InstanceTokenList>('instance/tokens'), 'instance-tokens');
  const [created, setCreated] = useState<CreatedInstanceToken | null>(null);
  const [revoking, setRevoking] = useState<InstanceToken | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const list = tokens.data?.tokens ?? [];
  return (
    <section className="panel-section" aria-labelledby="instance-tokens-title">
      <h2 id="instance-tokens-title">Instance tokens</h2>
      <p className="muted">An instance token has no workspace scope: it acts as its instance admin everywhere. Slipway keeps only its hash.</p>
      {created && (
        <ShownOnce
          id="new-instance-token-title"
          title={`New instance token ${created.name}`}
          level={3}
          note={<>copy it before you leave this page. It acts as {created.user.email} on the whole instance{created.expiresAt ? <> until <time dateTime={created.expiresAt}>{new Date(created.expiresAt).toLocaleString()}</time></> : ' and does not expire'}. If it is lost, revoke it and create another.</>}
          data={{ 'data-new-instance-token': created.id }}
          onDone={() => setCreated(null)}
        >
          <CopyField label="New instance token" value={created.token} />
        </ShownOnce>
      )}
      <ErrorNote error={tokens.error} />
      {!tokens.data && !tokens.error && <Loading what="instance tokens" />}
      {note && (
        <p className="muted" role="status">
          {note}
        </p>
      )}
      {list.length > 0 && (
        <TokenTable caption="Instance tokens" tokens={list} current={current} roles={false} noun="instance token" rowAttribute="data-instance-token" onRevoke={(t) => (setNote(null), setRevoking(t))} />
      )}
      {tokens.data && (
        <InstanceTokenCreate
          onCreated={(t) => {
            setNote(null);
            setCreated(t);
            tokens.reload();
          }}
        />
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke instance token ${revoking.name}?`}
          confirm="Revoke instance token"
          busy="Revoking…"
          action={() => del<InstanceToken>(path('instance', 'tokens', revoking.id))}
          onClose={() => setRevoking(null)}
          onDone={(t) => {
            setRevoking(null);
            setNote(`Revoked instance token ${t.name} (${t.hint}…).`);
            tokens.reload();
          }}
        >
          <p>
            Whatever uses the instance token starting with <code>{revoking.hint}</code> (acting as {revoking.user.email}) is refused from now on (<code>SLW_TOKEN_REVOKED</code>), as <code>admin tokens revoke</code> does. The first admin's token too can be revoked: <code>slipway admin token</code> on the server's machine makes a new one.
          </p>
          {revoking.id === current && <p className="note">This panel is signed in with it: its next request is refused and you sign in again with another token.</p>}
        </ConfirmDialog>
      )}
    </section>
  );
}
