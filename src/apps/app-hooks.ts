/**
 * An upstream application's hook: the URL its registry calls when a tag is pushed
 * (`POST /hooks/apps/<id>`), so a new version appears without waiting for the next poll.
 *
 * The id is 32 random base64url characters after `ahk_` (never time-ordered: one hook says
 * nothing about another). A call authenticates with the hook's secret, either way:
 *
 * - `Authorization: Bearer <secret>` — what the CNCF distribution registry can send (its
 *   notification endpoints take fixed headers);
 * - `X-Slipway-Signature: sha256=<hex HMAC-SHA256(secret, body)>` — for senders that sign.
 *
 * Checked on the raw body, in constant time, before anything parses it. A refused call leaves a
 * counter and a time on the hook and a log line (hook id, reason, size), never its body. The
 * secret is made here, sealed with the keyring (scope `app-hook`), shown once (creation or
 * rotation).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { SlipwayError } from '../core/errors.js';
import { interpretUpstreamCall, type UpstreamCall } from '../core/notifications.js';
import { recordAudit } from '../audit/audit.js';
import { nowIso } from '../platform/time.js';
import type { Keyring } from '../secrets/secrets.js';
import type { SealedKind } from '../secrets/sealed.js';
import type { ApplicationHooksTable, ApplicationsTable, Db, Executor } from '../store/schema.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';
import { hmacHex, safeEqual, type Headers } from '../webhooks/verify.js';

/** A hook as the API returns it (never its secret). */
export interface AppHookInfo {
  id: string;
  application: string;
  /** Path of the endpoint on this server; the API adds the server's URL. */
  path: string;
  createdAt: string;
  rotatedAt: string | null;
  calls: number;
  lastCalledAt: string | null;
  failedVerifications: number;
  lastFailedAt: string | null;
}

export function toAppHookInfo(application: string, h: ApplicationHooksTable): AppHookInfo {
  return { id: h.id, application, path: `/hooks/apps/${h.id}`, createdAt: h.created_at, rotatedAt: h.rotated_at, calls: h.calls, lastCalledAt: h.last_called_at, failedVerifications: h.failed_verifications, lastFailedAt: h.last_failed_at };
}

/** The keyring identity of a hook's secret. */
export function appHookSecretIdentity(h: Pick<ApplicationHooksTable, 'id' | 'workspace_id' | 'application_id' | 'secret_version'>) {
  return { workspaceId: h.workspace_id, projectId: h.application_id, scope: 'app-hook', name: h.id, version: h.secret_version };
}

/** Every application hook's secret, for a master-key rotation. */
export const sealedAppHookSecrets: SealedKind = {
  name: 'application hook secrets',
  columns: ['application_hooks.secret_envelope'],
  async reseal(tx, reseal) {
    const rows = await tx.selectFrom('application_hooks').select(['id', 'workspace_id', 'application_id', 'secret_version', 'secret_envelope']).execute();
    for (const r of rows) await tx.updateTable('application_hooks').set({ secret_envelope: reseal(appHookSecretIdentity(r), r.secret_envelope, `application hook ${r.id}`) }).where('id', '=', r.id).execute();
    return rows.length;
  },
};

export async function findAppHook(db: Executor, applicationId: string): Promise<ApplicationHooksTable | undefined> {
  return db.selectFrom('application_hooks').selectAll().where('application_id', '=', applicationId).executeTakeFirst();
}

/** Creates the application's hook, or shows it; `rotate` makes a new secret. The secret is returned only when just made. */
export async function ensureAppHook(db: Db, keyring: Keyring, access: WorkspaceAccess, app: ApplicationsTable, input: { rotate?: boolean | undefined }): Promise<{ hook: AppHookInfo; secret: string | null; created: boolean }> {
  if (app.source !== 'upstream') throw new SlipwayError('SLW_VALIDATION', `application '${app.name}' is made from a project: its versions appear as they are built, no registry needs to call it`);
  return db.transaction().execute(async (tx) => {
    const existing = await findAppHook(tx, app.id);
    const secret = randomBytes(32).toString('hex');
    const audit = (action: string) => recordAudit(tx, actorOf(access.principal), { workspaceId: app.workspace_id, action, targetType: 'application', target: app.name, details: {} });
    if (!existing) {
      const base = { id: `ahk_${randomBytes(24).toString('base64url')}`, workspace_id: app.workspace_id, application_id: app.id, secret_version: 1 };
      const row: ApplicationHooksTable = { ...base, secret_envelope: keyring.seal(appHookSecretIdentity(base), secret), created_at: nowIso(), created_by: access.principal.userId, rotated_at: null, calls: 0, last_called_at: null, failed_verifications: 0, last_failed_at: null };
      await tx.insertInto('application_hooks').values(row).execute();
      await audit('application.hook.create');
      return { hook: toAppHookInfo(app.name, row), secret, created: true };
    }
    if (!input.rotate) return { hook: toAppHookInfo(app.name, existing), secret: null, created: false };
    const version = existing.secret_version + 1;
    const row: ApplicationHooksTable = { ...existing, secret_version: version, secret_envelope: keyring.seal(appHookSecretIdentity({ ...existing, secret_version: version }), secret), rotated_at: nowIso() };
    await tx.updateTable('application_hooks').set({ secret_version: row.secret_version, secret_envelope: row.secret_envelope, rotated_at: row.rotated_at }).where('id', '=', existing.id).execute();
    await audit('application.hook.rotate');
    return { hook: toAppHookInfo(app.name, row), secret, created: false };
  });
}

/** Deletes the application's hook (its URL answers 404 from then on). */
export async function deleteAppHook(db: Db, access: WorkspaceAccess, app: ApplicationsTable): Promise<{ deleted: string }> {
  const hook = await findAppHook(db, app.id);
  if (!hook) throw new SlipwayError('SLW_NOT_FOUND', `application '${app.name}' has no upstream hook`);
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('application_hooks').where('id', '=', hook.id).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: app.workspace_id, action: 'application.hook.delete', targetType: 'application', target: app.name, details: {} });
  });
  return { deleted: hook.id };
}

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Checks a call's bearer secret or signature against the hook's secret. */
export function verifyAppHookCall(headers: Headers, body: Buffer, secret: string): { ok: true; method: string } | { ok: false; reason: string } {
  const signature = header(headers, 'x-slipway-signature');
  if (signature !== undefined) {
    return safeEqual(signature.trim().toLowerCase(), `sha256=${hmacHex(secret, body)}`) ? { ok: true, method: 'x-slipway-signature' } : { ok: false, reason: 'X-Slipway-Signature does not match the body signed with the hook secret' };
  }
  const authorization = header(headers, 'authorization');
  if (authorization !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m && safeEqual(m[1]!, secret) ? { ok: true, method: 'bearer' } : { ok: false, reason: 'the bearer secret is not the hook secret' };
  }
  return { ok: false, reason: 'neither X-Slipway-Signature nor Authorization: Bearer was sent (set the secret slipway app hook printed)' };
}

export interface LogLike {
  warn(obj: object, msg: string): void;
}

const dummySecret = 'slipway-no-such-app-hook';

/**
 * Receives one call of hook `hookId`: verifies it, reads what it asks for, counts it. Throws
 * SLW_APP_HOOK_NOT_FOUND, SLW_APP_HOOK_SIGNATURE or SLW_WEBHOOK_PAYLOAD.
 */
export async function receiveAppHookCall(db: Db, keyring: Keyring, log: LogLike, hookId: string, headers: Headers, body: Buffer): Promise<{ app: ApplicationsTable; call: UpstreamCall }> {
  const hook = /^ahk_[A-Za-z0-9_-]{32}$/.test(hookId) ? await db.selectFrom('application_hooks').selectAll().where('id', '=', hookId).executeTakeFirst() : undefined;
  const app = hook ? await db.selectFrom('applications').selectAll().where('id', '=', hook.application_id).executeTakeFirst() : undefined;
  if (!hook || !app || app.upstream === null) {
    // The same work as for a real hook, so the answer's timing says no more than its 404 does.
    hmacHex(dummySecret, body);
    throw new SlipwayError('SLW_APP_HOOK_NOT_FOUND', 'no application hook has this URL; print it again with slipway app hook NAME -w WS');
  }
  const verified = verifyAppHookCall(headers, body, keyring.open(appHookSecretIdentity(hook), hook.secret_envelope));
  if (!verified.ok) {
    await db.updateTable('application_hooks').set((eb) => ({ failed_verifications: eb('failed_verifications', '+', 1), last_failed_at: nowIso() })).where('id', '=', hook.id).execute();
    log.warn({ hook: hook.id, reason: verified.reason, bytes: body.length }, 'application hook call refused: verification failed');
    throw new SlipwayError('SLW_APP_HOOK_SIGNATURE', `call refused: ${verified.reason}; nothing was polled or stored`);
  }
  let parsed: unknown = {};
  if (body.length > 0) {
    try {
      parsed = JSON.parse(body.toString('utf8')) as unknown;
    } catch {
      throw new SlipwayError('SLW_WEBHOOK_PAYLOAD', "the hook call's body is not JSON; send {} or a registry notification envelope");
    }
  }
  const call = interpretUpstreamCall(parsed, app.upstream.slice(app.upstream.indexOf('/') + 1));
  await db.updateTable('application_hooks').set((eb) => ({ calls: eb('calls', '+', 1), last_called_at: nowIso() })).where('id', '=', hook.id).execute();
  return { app, call };
}
