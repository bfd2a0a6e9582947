/**
 * A workspace's members and API tokens (`member …`, `token …`): every member with their role;
 * owners and admins add one by e-mail, change a role and remove one (after a confirmation), and
 * create, list and revoke tokens. Others see the list of members, and the API's refusal
 * (SLW_FORBIDDEN) where their role may not look (the tokens).
 */
import { useEffect, useState } from 'react';
import { del, get, patch, path } from '../api';
import { mayManage, type Role } from '../access';
import { ago } from '../format';
import type { Member, MemberList, MemberRemoved, SetMemberRoleBody, TokenList } from '../types';
import { ErrorNote, Loading, Table } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { useAction, useLoad } from '../ui/hooks';
import { useWorkspace } from '../ui/workspace';
import { MemberAdd, RoleSelect } from './MemberAdd';
import { Tokens } from './Tokens';

export function Members({ ws, instanceAdmin, tokenId }: { ws: string; instanceAdmin: boolean; /** the token signed in with */ tokenId: string | undefined }) {
  const url = path('workspaces', ws, 'members');
  const members = useLoad(() => get<MemberList>(url), url);
  const tokens = useLoad(() => get<TokenList>(path('workspaces', ws, 'tokens')), `${ws}-tokens`);
  const workspace = useWorkspace(ws);
  const role = workspace.data?.role;
  const manage = mayManage(role);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const changed = (said: string) => {
    setNote(said);
    members.reload();
    tokens.reload();
    workspace.reload();
  };
  const list = members.data?.members ?? [];
  return (
    <section aria-labelledby="members-title">
      <h1 id="members-title">Members and tokens of {ws}</h1>
      {role && !manage && (
        <p className="note">
          Your role here is <strong>{role}</strong>: only owners and admins add and remove members, change roles and manage tokens.
        </p>
      )}
      <h2>Members</h2>
      <ErrorNote error={members.error} />
      {!members.data && !members.error && <Loading what="members" />}
      {note && (
        <p className="muted" role="status">
          {note}
        </p>
      )}
      {list.length > 0 && (
        <Table caption={`Members of ${ws}`} columns={['E-mail', 'Name', 'Role', 'Since', '']}>
          {list.map((m) => (
            <MemberRow key={m.userId} url={`${url}/${encodeURIComponent(m.userId)}`} member={m} manage={manage} onChanged={changed} onRemove={() => (setNote(null), setRemoving(m))} />
          ))}
        </Table>
      )}
      {manage && <MemberAdd url={url} onAdded={(m) => changed(`Added ${m.email} as ${m.role}.`)} />}
      <Tokens ws={ws} tokens={tokens} members={list} manage={manage} instanceAdmin={instanceAdmin} current={tokenId} />
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.email} from ${ws}?`}
          confirm={`Remove ${removing.email}`}
          busy="Removing…"
          action={() => del<MemberRemoved>(`${url}/${encodeURIComponent(removing.userId)}`)}
          onClose={() => setRemoving(null)}
          onDone={(r) => {
            setRemoving(null);
            changed(`Removed ${r.email}; revoked ${r.tokensRevoked} token(s).`);
          }}
        >
          <p>
            {removing.email} ({removing.role}) loses access to {ws}, and every token of theirs for it is revoked now, as <code>member remove</code> does. Their account and other workspaces stay.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function MemberRow({ url, member: m, manage, onChanged, onRemove }: { url: string; member: Member; manage: boolean; onChanged(note: string): void; onRemove(): void }) {
  const [role, setRole] = useState<Role>(m.role);
  useEffect(() => setRole(m.role), [m.role]);
  const action = useAction();
  const save = async () => {
    const body: SetMemberRoleBody = { role };
    const r = await action.run(() => patch<Member>(url, body));
    if (r) onChanged(`${r.email} is now ${r.role}.`);
  };
  return (
    <tr data-member={m.email}>
      <td>{m.email}</td>
      <td>{m.name}</td>
      <td>{manage ? <RoleSelect id={`role-${m.userId}`} label={`Role of ${m.email}`} value={role} onChange={setRole} /> : m.role}</td>
      <td>
        <time dateTime={m.since} title={new Date(m.since).toLocaleString()}>
          {ago(m.since)}
        </time>
      </td>
      <td>
        {manage && (
          <div className="actions row-actions">
            <button type="button" disabled={role === m.role || action.busy} onClick={() => void save()}>
              {action.busy ? 'Changing…' : 'Change role'}
              <span className="sr-only"> of {m.email}</span>
            </button>
            <button type="button" className="ghost danger" onClick={onRemove}>
              Remove<span className="sr-only"> {m.email}</span>
            </button>
          </div>
        )}
        <ErrorNote error={action.error} />
      </td>
    </tr>
  );
}
