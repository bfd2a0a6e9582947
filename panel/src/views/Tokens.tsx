/**
 * The workspace's API tokens (`token list`: never their values) with Revoke on each active one
 * after a confirmation, and creating one, its value shown once. Listing is for owners and admins:
 * anyone else sees the API's refusal (SLW_FORBIDDEN) here.
 */
import { useState } from 'react';
import { del, path } from '../api';
import type { CreatedToken, Member, Token, TokenList } from '../types';
import { ErrorNote, Loading } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import type { Loaded } from '../ui/hooks';
import { TokenCreate } from './TokenCreate';
import { TokenOnce } from './TokenOnce';
import { TokenTable } from './TokenTable';

export function Tokens(props: { ws: string; tokens: Loaded<TokenList>; members: Member[]; manage: boolean; instanceAdmin: boolean; current: string | undefined }) {
  const { ws, tokens, members, manage, instanceAdmin, current } = props;
  const url = path('workspaces', ws, 'tokens');
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const list = tokens.data?.tokens ?? [];
  return (
    <section className="panel-section" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p className="muted">A token acts as one member, with a role up to theirs. Slipway keeps only its hash.</p>
      {created && <TokenOnce token={created} onDone={() => setCreated(null)} />}
      <ErrorNote error={tokens.error} />
      {!tokens.data && !tokens.error && <Loading what="tokens" />}
      {note && (
        <p className="muted" role="status">
          {note}
        </p>
      )}
      {tokens.data && list.length === 0 && <p className="muted">No tokens yet.</p>}
      {list.length > 0 && (
        <TokenTable caption={`API tokens of ${ws}`} tokens={list} current={current} roles noun="token" rowAttribute="data-token" {...(manage ? { onRevoke: (t: Token) => (setNote(null), setRevoking(t)) } : {})} />
      )}
      {manage && (
        <TokenCreate
          url={url}
          members={members}
          instanceAdmin={instanceAdmin}
          onCreated={(t) => {
            setNote(null);
            setCreated(t);
            tokens.reload();
          }}
        />
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke token ${revoking.name}?`}
          confirm="Revoke token"
          busy="Revoking…"
          action={() => del<Token>(`${url}/${encodeURIComponent(revoking.id)}`)}
          onClose={() => setRevoking(null)}
          onDone={(t) => {
            setRevoking(null);
            setNote(`Revoked token ${t.name} (${t.hint}…).`);
            tokens.reload();
          }}
        >
          <p>
            Whatever uses the token starting with <code>{revoking.hint}</code> ({revoking.role}, acting as {revoking.user.email}) is refused from now on (<code>SLW_TOKEN_REVOKED</code>), as <code>token revoke</code> does.
          </p>
          {revoking.id === current && <p className="note">This panel is signed in with it: you will be signed out.</p>}
        </ConfirmDialog>
      )}
    </section>
  );
}
