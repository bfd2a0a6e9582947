/**
 * First start: when the store has no user yet, create the first instance admin and an instance
 * token for them. Runs in one transaction, so two servers starting together on PostgreSQL
 * cannot both create one.
 *
 * @module
 */
import { recordAudit, systemActor } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { isUniqueViolation } from '../store/errors.js';
import type { Db } from '../store/schema.js';
import { hashToken, mintToken } from './tokens.js';
import { tokenHint } from '../core/tokens.js';

/** The first admin's e-mail. */
export const firstAdminEmail = 'admin@slipway.local';

/** Creates the first admin when there is no user; returns their token, or null if one existed. */
export async function bootstrapFirstAdmin(db: Db): Promise<{ token: string; userId: string } | null> {
  const any = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (any) return null;
  const token = mintToken();
  const now = nowIso();
  const userId = newId('usr');
  try {
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('users').values({ id: userId, email: firstAdminEmail, name: 'admin', instance_admin: 1, created_at: now }).execute();
      const tokenId = newId('tok');
      await tx
        .insertInto('tokens')
        .values({ id: tokenId, workspace_id: null, user_id: userId, role: null, name: 'first admin', hint: tokenHint(token), hash: hashToken(token), created_at: now, created_by: null, expires_at: null, revoked_at: null, last_used_at: null })
        .execute();
      await recordAudit(tx, systemActor, { workspaceId: null, action: 'instance.bootstrap', targetType: 'user', target: firstAdminEmail, details: { tokenId } });
    });
  } catch (error) {
    // Another server won the race on a shared PostgreSQL database.
    if (isUniqueViolation(error)) return null;
    throw error;
  }
  return { token, userId };
}
