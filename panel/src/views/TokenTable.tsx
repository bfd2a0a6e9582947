/**
 * The table of API tokens the workspace's Tokens and the instance's Instance tokens both show:
 * never a value, only the name (marked when the panel is signed in with it), the first characters,
 * the role where tokens have one, who it acts as, when it was made, expires and was last used, its
 * state, and a Revoke button on each active one when `onRevoke` is given.
 */
import type { ReactNode } from 'react';
import { relative } from '../format';
import { Badge, Table } from '../ui/bits';

/** What a row needs: the fields workspace and instance tokens share; `role` only for workspace ones. */
export interface TokenRow {
  id: string;
  name: string;
  hint: string;
  role?: string;
  user: { email: string };
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A time in the past or, for an expiry, ahead ("in 30 d"). */
const when = (iso: string | null, none: string) => (iso ? <time dateTime={iso} title={new Date(iso).toLocaleString()}>{relative(iso)}</time> : none);

/** Revoked, expired (an expiry now or past) or active. */
export function tokenState(t: TokenRow): ReactNode {
  if (t.revokedAt) return <Badge tone="muted">revoked</Badge>;
  if (t.expiresAt && t.expiresAt <= new Date().toISOString()) return <Badge tone="warn">expired</Badge>;
  return <Badge tone="ok">active</Badge>;
}

export function TokenTable<T extends TokenRow>(props: {
  caption: string;
  tokens: T[];
  /** The token the panel is signed in with. */
  current: string | undefined;
  /** Shows the Role column. */
  roles: boolean;
  /** What the rows are called in the revoke button's label for screen readers ("token", "instance token"). */
  noun: string;
  /** The row's data attribute, e.g. `data-token`. */
  rowAttribute: `data-${string}`;
  onRevoke?: (token: T) => void;
}) {
  const { caption, tokens, current, roles, noun, rowAttribute, onRevoke } = props;
  const columns = ['Name', 'Starts with', ...(roles ? ['Role'] : []), 'Acts as', 'Created', 'Expires', 'Last used', 'State', ''];
  return (
    <Table caption={caption} columns={columns}>
      {tokens.map((t) => (
        <tr key={t.id} {...{ [rowAttribute]: t.id }}>
          <td>
            {t.name}
            {t.id === current && <Badge tone="info">signed in with it</Badge>}
          </td>
          <td>
            <code>{t.hint}…</code>
          </td>
          {roles && <td>{t.role}</td>}
          <td>{t.user.email}</td>
          <td>{when(t.createdAt, '—')}</td>
          <td>{when(t.expiresAt, 'never')}</td>
          <td>{when(t.lastUsedAt, 'never')}</td>
          <td>{tokenState(t)}</td>
          <td>
            {onRevoke && !t.revokedAt && (
              <button type="button" className="ghost danger" onClick={() => onRevoke(t)}>
                Revoke<span className="sr-only"> {noun} {t.name}</span>
              </button>
            )}
          </td>
        </tr>
      ))}
    </Table>
  );
}
