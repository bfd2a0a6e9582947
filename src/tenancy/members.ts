/**
 * Members of a workspace and their roles. Rules: nobody grants a role above their own, only
 * owners change owners, and a workspace always keeps at least one owner.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { assertCanGrant, atLeast, parseRole, type Role } from '../core/roles.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Db, Executor } from '../store/schema.js';
import { actorOf, type WorkspaceAccess } from './principal.js';
import { memberByEmailOrId } from './tokens.js';

/** A member as listed. */
export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  since: string;
}

/** What adding a member answers: what the caller sent plus the membership, nothing of the user's. */
export type AddedMember = Omit<Member, 'userId'>;

/** The workspace's members, by e-mail, with the display name this workspace gave them. */
export async function listMembers(db: Executor, access: WorkspaceAccess): Promise<Member[]> {
  const rows = await db
    .selectFrom('members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email', (eb) => eb.fn.coalesce('m.name', 'u.name').as('name'), 'm.role', 'm.created_at'])
    .where('m.workspace_id', '=', access.workspace.id)
    .orderBy('u.email')
    .execute();
  return rows.map((r) => ({ userId: r.id, email: r.email, name: r.name, role: parseRole(r.role), since: r.created_at }));
}

/**
 * Adds a person (by e-mail; created on first use) to the workspace with a role. The answer is
 * the same whether the person already had an account (in another workspace) or not: the e-mail,
 * the display name given here (default: the e-mail's local part), the role and the time; never
 * the user's id nor a name another workspace gave them.
 */
export async function addMember(db: Db, access: WorkspaceAccess, input: { email: string; role: Role; name?: string | undefined }): Promise<AddedMember> {
  assertCanGrant(access.role, input.role);
  const email = input.email.toLowerCase();
  const name = input.name ?? email.split('@')[0] ?? email;
  return db.transaction().execute(async (tx) => {
    let user = await tx.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    const now = nowIso();
    if (!user) {
      user = { id: newId('usr'), email, name, instance_admin: 0, created_at: now };
      await tx.insertInto('users').values(user).execute();
    }
    const existing = await tx.selectFrom('members').select('role').where('workspace_id', '=', access.workspace.id).where('user_id', '=', user.id).executeTakeFirst();
    if (existing) throw new SlipwayError('SLW_ALREADY_EXISTS', `${email} is already a member (role '${existing.role}'); use 'slipway member set-role' to change it`);
    await tx.insertInto('members').values({ workspace_id: access.workspace.id, user_id: user.id, role: input.role, name, created_at: now }).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'member.add', targetType: 'member', target: email, details: { role: input.role } });
    return { email, name, role: input.role, since: now };
  });
}

/** Changes a member's role. */
export async function setMemberRole(db: Db, access: WorkspaceAccess, member: string, role: Role): Promise<Member> {
  assertCanGrant(access.role, role);
  return db.transaction().execute(async (tx) => {
    const target = await memberByEmailOrId(tx, access.workspace.id, member);
    assertMayChange(access.role, target.role);
    if (target.role === 'owner' && role !== 'owner') await assertNotLastOwner(tx, access.workspace.id, target.email);
    await tx.updateTable('members').set({ role }).where('workspace_id', '=', access.workspace.id).where('user_id', '=', target.userId).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'member.role', targetType: 'member', target: target.email, details: { from: target.role, to: role } });
    const row = await tx.selectFrom('members as m').innerJoin('users as u', 'u.id', 'm.user_id').select([(eb) => eb.fn.coalesce('m.name', 'u.name').as('name'), 'm.created_at']).where('m.workspace_id', '=', access.workspace.id).where('m.user_id', '=', target.userId).executeTakeFirstOrThrow();
    return { userId: target.userId, email: target.email, name: row.name, role, since: row.created_at };
  });
}

/** Removes a member; their tokens for this workspace are revoked in the same transaction. */
export async function removeMember(db: Db, access: WorkspaceAccess, member: string): Promise<{ email: string; tokensRevoked: number }> {
  return db.transaction().execute(async (tx) => {
    const target = await memberByEmailOrId(tx, access.workspace.id, member);
    assertMayChange(access.role, target.role);
    if (target.role === 'owner') await assertNotLastOwner(tx, access.workspace.id, target.email);
    await tx.deleteFrom('members').where('workspace_id', '=', access.workspace.id).where('user_id', '=', target.userId).execute();
    const revoked = await tx
      .updateTable('tokens')
      .set({ revoked_at: nowIso() })
      .where('workspace_id', '=', access.workspace.id)
      .where('user_id', '=', target.userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const tokensRevoked = Number(revoked.numUpdatedRows);
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'member.remove', targetType: 'member', target: target.email, details: { role: target.role, tokensRevoked } });
    return { email: target.email, tokensRevoked };
  });
}

function assertMayChange(actor: Role, target: Role): void {
  if (!atLeast(actor, target)) {
    throw new SlipwayError('SLW_ROLE_TOO_HIGH', `your role '${actor}' cannot change a member whose role '${target}' is above it`);
  }
}

async function assertNotLastOwner(tx: Executor, workspaceId: string, email: string): Promise<void> {
  const owners = await tx.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', workspaceId).where('role', '=', 'owner').executeTakeFirstOrThrow();
  if (Number(owners.n) <= 1) {
    throw new SlipwayError('SLW_LAST_OWNER', `${email} is the last owner of this workspace; make someone else an owner first`);
  }
}
