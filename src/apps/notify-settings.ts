/**
 * An application's outgoing webhook: its notify URL and the secret its notifications are signed
 * with (`X-Slipway-Signature: sha256=<hex HMAC-SHA256 of the body>`).
 *
 * The URL is the tenant's to choose, so it goes through the same egress rule as image fetches,
 * with its own allow-list (`slipway server --allow-webhook-host`): a loopback, private,
 * link-local or otherwise internal host is refused when the URL is set, and again at every
 * connection (after DNS, on the address actually dialled); redirects are never followed.
 *
 * The secret is made here (32 random bytes, hex) and shown once, when set or rotated, or given by
 * the user (then never echoed). It is sealed with the keyring (scope `app-notify`) and never
 * returned afterwards.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { SlipwayError } from '../core/errors.js';
import { parseNotifyUrl } from '../core/notifications.js';
import type { EgressPolicy } from '../registry/client/index.js';
import type { Keyring } from '../secrets/secrets.js';
import type { SealedKind } from '../secrets/sealed.js';
import type { ApplicationsTable } from '../store/schema.js';
import type { AppChange } from './app-changes.js';

/** What `slipway app set` changes about notifications. */
export interface NotifySettings {
  /** A URL sets it; null removes it (and its secret). */
  notifyUrl?: string | null | undefined;
  /** The secret to sign with (else one is made when none is set yet). */
  notifySecret?: string | undefined;
  /** Make a new secret. */
  rotateNotifySecret?: boolean | undefined;
}

/** The keyring identity of an application's notify secret. */
export function notifySecretIdentity(app: Pick<ApplicationsTable, 'id' | 'workspace_id' | 'project_id'>) {
  return { workspaceId: app.workspace_id, projectId: app.project_id, scope: 'app-notify', name: app.id, version: 1 };
}

/** Every application's notify secret, for a master-key rotation. */
export const sealedNotifySecrets: SealedKind = {
  name: 'application notify secrets',
  columns: ['applications.notify_secret_envelope'],
  async reseal(tx, reseal) {
    const rows = await tx.selectFrom('applications').select(['id', 'workspace_id', 'project_id', 'name', 'notify_secret_envelope']).where('notify_secret_envelope', 'is not', null).execute();
    for (const r of rows) await tx.updateTable('applications').set({ notify_secret_envelope: reseal(notifySecretIdentity(r), r.notify_secret_envelope!, `notify secret of application ${r.name} (${r.id})`) }).where('id', '=', r.id).execute();
    return rows.length;
  },
};

/** The notify secret in clear (only the deliverer needs it). */
export function openNotifySecret(keyring: Keyring, app: ApplicationsTable): string | null {
  return app.notify_secret_envelope === null ? null : keyring.open(notifySecretIdentity(app), app.notify_secret_envelope);
}

/** The refusal of an internal notify host (the error the notify egress policy raises). */
export function notifyHostRefused(host: string, kind: string, viaName: boolean): SlipwayError {
  const what = viaName ? `resolves to a ${kind} address` : `is a ${kind} address`;
  return new SlipwayError('SLW_NOTIFY_HOST_REFUSED', `notify host ${host} ${what}, which this server does not send webhooks to; use a receiver on a public address, or ask the instance admin to allow it (slipway server --allow-webhook-host ${host})`);
}

/** The egress policy of outgoing webhooks: internal hosts only as `--allow-webhook-host` allows. */
export const notifyEgressUse = { option: '--allow-webhook-host', refused: notifyHostRefused };

/**
 * The change notify settings make to `app` (null: none), and the secret when Slipway just made it
 * (shown once), else null. Throws, storing nothing, when the URL is invalid or its host refused.
 */
export async function notifyChange(keyring: Keyring, egress: EgressPolicy, app: ApplicationsTable, input: NotifySettings): Promise<{ change: AppChange | null; secret: string | null }> {
  const given = input.notifySecret;
  if (given !== undefined && (given.length < 16 || given.length > 256)) throw new SlipwayError('SLW_VALIDATION', 'a notify secret is 16 to 256 characters; or leave it out and Slipway makes one');
  if (input.notifyUrl === null) {
    if (given !== undefined || input.rotateNotifySecret) throw new SlipwayError('SLW_VALIDATION', 'removing the notify URL removes its secret too; give no secret or rotation with it');
    if (app.notify_url === null) return { change: null, secret: null };
    return { change: { set: { notify_url: null, notify_secret_envelope: null }, action: 'application.notify-url.remove', details: {} }, secret: null };
  }
  if (input.notifyUrl === undefined && given === undefined && !input.rotateNotifySecret) return { change: null, secret: null };
  let url = app.notify_url;
  if (input.notifyUrl !== undefined) {
    const parsed = parseNotifyUrl(input.notifyUrl);
    await egress.checkUrl(parsed, (host) => new SlipwayError('SLW_NOTIFY_URL_INVALID', `notify host ${host} does not resolve; check the URL`));
    url = parsed.href;
  }
  if (url === null) throw new SlipwayError('SLW_VALIDATION', `application '${app.name}' has no notify URL; set one first (--notify-url URL)`);
  const newSecret = given === undefined && (input.rotateNotifySecret || app.notify_secret_envelope === null) ? randomBytes(32).toString('hex') : null;
  const secret = given ?? newSecret;
  const envelope = secret === null ? app.notify_secret_envelope : keyring.seal(notifySecretIdentity(app), secret);
  // The audit names the host only: a URL may carry a token in its path or query.
  const details = { host: new URL(url).host, secret: secret === null ? 'kept' : given !== undefined ? 'given' : 'made' };
  return { change: { set: { notify_url: url, notify_secret_envelope: envelope }, action: 'application.notify-url.set', details }, secret: newSecret };
}
