/**
 * Receiving a delivery: find the hook, check authenticity on the raw body, refuse a repeated
 * delivery id, parse the payload, store the delivery (status `received`, or `ignored` for events
 * Slipway does not use) and answer at once; the processor does the work. Listing and replaying
 * deliveries.
 *
 * What is stored: never the secret; the body only once it was verified (bounded by the route's
 * body limit). A delivery that fails verification leaves a counter and a time on the hook and a
 * log line (hook id, provider, reason, size), nothing else.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { SlipwayError, notFound } from '../core/errors.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { ProjectAccess } from '../projects/projects.js';
import type { Keyring } from '../secrets/secrets.js';
import { isUniqueViolation } from '../store/errors.js';
import type { Db, Executor, ProjectHooksTable, WebhookDeliveriesTable } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { openHookSecret } from './hooks.js';
import { PayloadError, interpretDelivery, summarize, type HookEvent } from './payloads.js';
import { deliveryHeaders, hmacHex, verifyDelivery, type Headers } from './verify.js';
import type { WebhookProvider } from '../core/webhooks.js';

/** What the endpoint answers. */
export interface Receipt {
  status: number;
  body: { delivery: string; status: 'received' | 'ignored' | 'duplicate'; message?: string };
}

/** A delivery as the API returns it (without its body). */
export interface DeliveryInfo {
  id: string;
  deliveryId: string;
  event: string | null;
  action: string | null;
  ref: string | null;
  sha: string | null;
  status: string;
  message: string | null;
  verification: string;
  receivedAt: string;
  updatedAt: string;
  attempts: number;
  duplicates: number;
  size: number;
}

/** Something that wants to know a delivery is waiting (the processor). */
export interface Logger {
  warn(obj: object, msg: string): void;
}

const dummySecret = 'slipway-no-such-hook';

/** The parsed JSON of a body: JSON, or GitHub's form encoding (`payload=<json>`). */
export function parseBody(contentType: string, body: Buffer): unknown {
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  let text = body.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw new PayloadError('a form-encoded delivery carries its JSON in the payload field; it has none');
    text = payload;
  } else if (type !== 'application/json') {
    throw new PayloadError(`the body is ${type || 'of no content type'}; send application/json (GitHub: content type application/json or x-www-form-urlencoded)`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PayloadError('the body is not valid JSON');
  }
}

function interpret(provider: WebhookProvider, event: string | null, contentType: string, body: Buffer): HookEvent {
  try {
    return interpretDelivery(provider, event, parseBody(contentType, body));
  } catch (error) {
    if (error instanceof PayloadError) throw new SlipwayError('SLW_WEBHOOK_PAYLOAD', error.message);
    throw error;
  }
}

/** Receives one delivery on hook `hookId`; throws SLW_WEBHOOK_NOT_FOUND, SLW_WEBHOOK_SIGNATURE or SLW_WEBHOOK_PAYLOAD. */
export async function receiveDelivery(db: Db, keyring: Keyring, log: Logger, hookId: string, headers: Headers, contentType: string, body: Buffer): Promise<Receipt> {
  const hook = /^hook_[A-Za-z0-9_-]{32}$/.test(hookId) ? await db.selectFrom('project_hooks').selectAll().where('id', '=', hookId).executeTakeFirst() : undefined;
  if (!hook) {
    // The same work as for a real hook, so the answer's timing says no more than its 404 does.
    hmacHex(dummySecret, body);
    throw new SlipwayError('SLW_WEBHOOK_NOT_FOUND', 'no webhook has this URL; copy it again from slipway git hook -w WS -p PROJECT --provider P');
  }
  const provider = hook.provider as WebhookProvider;
  const verified = verifyDelivery(provider, headers, body, openHookSecret(keyring, hook));
  if (!verified.ok) {
    await db.updateTable('project_hooks').set((eb) => ({ failed_verifications: eb('failed_verifications', '+', 1), last_failed_at: nowIso() })).where('id', '=', hook.id).execute();
    log.warn({ hook: hook.id, provider, reason: verified.reason, bytes: body.length }, 'webhook delivery refused: verification failed');
    throw new SlipwayError('SLW_WEBHOOK_SIGNATURE', `delivery refused: ${verified.reason}; nothing was stored or deployed`);
  }
  const { event, deliveryId: sent } = deliveryHeaders(provider, headers);
  const deliveryId = (sent ?? `body:${createHash('sha256').update(body).digest('hex')}`).slice(0, 200);
  const duplicate = await duplicateOf(db, hook.id, deliveryId);
  if (duplicate) return duplicate;
  const e = interpret(provider, event, contentType, body);
  const now = nowIso();
  const row: WebhookDeliveriesTable = {
    id: newId('dlv'),
    hook_id: hook.id,
    workspace_id: hook.workspace_id,
    project_id: hook.project_id,
    delivery_id: deliveryId,
    event: event?.slice(0, 100) ?? null,
    ...summarize(e),
    status: e.kind === 'ignored' ? 'ignored' : 'received',
    message: e.kind === 'ignored' ? `ignored: ${e.reason}` : null,
    verification: verified.method,
    content_type: contentType.slice(0, 100),
    body: body.toString('utf8'),
    received_at: now,
    updated_at: now,
    attempts: 0,
    duplicates: 0,
  };
  try {
    await db.insertInto('webhook_deliveries').values(row).execute();
  } catch (error) {
    // The same delivery id raced this one in (a provider's retry while the first was stored).
    const raced = isUniqueViolation(error) ? await duplicateOf(db, hook.id, deliveryId) : undefined;
    if (raced) return raced;
    throw error;
  }
  if (row.status === 'ignored') return { status: 202, body: { delivery: row.id, status: 'ignored', message: row.message ?? '' } };
  return { status: 202, body: { delivery: row.id, status: 'received' } };
}

async function duplicateOf(db: Db, hookId: string, deliveryId: string): Promise<Receipt | undefined> {
  const seen = await db.selectFrom('webhook_deliveries').select(['id', 'status']).where('hook_id', '=', hookId).where('delivery_id', '=', deliveryId).executeTakeFirst();
  if (!seen) return undefined;
  await db.updateTable('webhook_deliveries').set((eb) => ({ duplicates: eb('duplicates', '+', 1) })).where('id', '=', seen.id).execute();
  return { status: 200, body: { delivery: seen.id, status: 'duplicate', message: `delivery ${deliveryId} was already received (${seen.status}); nothing was done again (replay it with slipway git deliveries --replay ${seen.id})` } };
}

export function toDeliveryInfo(d: Pick<WebhookDeliveriesTable, Exclude<keyof WebhookDeliveriesTable, 'body'>> & { size: number }): DeliveryInfo {
  return {
    id: d.id,
    deliveryId: d.delivery_id,
    event: d.event,
    action: d.action,
    ref: d.ref,
    sha: d.sha,
    status: d.status,
    message: d.message,
    verification: d.verification,
    receivedAt: d.received_at,
    updatedAt: d.updated_at,
    attempts: d.attempts,
    duplicates: d.duplicates,
    size: d.size,
  };
}

const listed = ['id', 'hook_id', 'workspace_id', 'project_id', 'delivery_id', 'event', 'action', 'ref', 'sha', 'status', 'message', 'verification', 'content_type', 'received_at', 'updated_at', 'attempts', 'duplicates'] as const;

/** The project's deliveries, newest first. */
export async function listDeliveries(db: Executor, access: ProjectAccess, limit: number): Promise<DeliveryInfo[]> {
  const rows = await db.selectFrom('webhook_deliveries').select(listed).select((eb) => eb.fn<number>('length', ['body']).as('size')).where('project_id', '=', access.project.id).orderBy('received_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => toDeliveryInfo({ ...r, size: Number(r.size) }));
}

/** Marks a delivery for processing again (its stored body, as a new attempt of the same delivery). */
export async function replayDelivery(db: Db, access: ProjectAccess, id: string): Promise<DeliveryInfo> {
  return db.transaction().execute(async (tx) => {
    const d = await tx.selectFrom('webhook_deliveries').select(listed).select((eb) => eb.fn<number>('length', ['body']).as('size')).where('id', '=', id).where('project_id', '=', access.project.id).executeTakeFirst();
    if (!d) throw notFound('delivery', id, `project '${access.project.name}'`);
    if (d.status === 'received' || d.status === 'processing') throw new SlipwayError('SLW_DELIVERY_BUSY', `delivery ${id} is ${d.status === 'received' ? 'waiting to be processed' : 'being processed'}; replay it once it has ended`);
    const now = nowIso();
    const changed = await tx.updateTable('webhook_deliveries').set({ status: 'received', message: `replay requested at ${now}`, updated_at: now }).where('id', '=', id).where('status', '=', d.status).executeTakeFirst();
    if (Number(changed.numUpdatedRows) === 0) throw new SlipwayError('SLW_DELIVERY_BUSY', `delivery ${id} changed meanwhile; look again (slipway git deliveries)`);
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'webhook.replay', targetType: 'project', target: access.project.name, details: { delivery: id, was: d.status } });
    return toDeliveryInfo({ ...d, status: 'received', message: `replay requested at ${now}`, updated_at: now, size: Number(d.size) });
  });
}

/** The hook a delivery came through (the processor reads its settings). */
export async function hookOf(db: Executor, hookId: string): Promise<ProjectHooksTable | undefined> {
  return db.selectFrom('project_hooks').selectAll().where('id', '=', hookId).executeTakeFirst();
}
