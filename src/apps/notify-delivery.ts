/**
 * Delivering notifications to applications' notify URLs, in the background.
 *
 * A pending notification carries when its next attempt is due (`webhook_next_at`). The deliverer
 * takes due ones oldest first; an attempt is claimed with a compare-and-set that moves the due
 * time past the attempt's lease and counts it, so two control planes never send one attempt
 * twice, and one that dies mid-attempt leaves a claim that lapses and is taken again (at least
 * once: receivers de-duplicate on the notification `id`).
 *
 * An attempt is one POST through the webhook egress policy (internal addresses only as the
 * admin allowed; redirects are not followed), 5 s at most. A 2xx answer makes it `sent`; any
 * other outcome is one line in `webhook_error` (a status, a network error's code, the refusal;
 * never the receiver's body) and a retry after 5 s, 30 s and 2 min, then `failed`. A refused
 * host, a redirect or a removed URL fail at once: trying again would not help.
 *
 * @module
 */
import { createHmac } from 'node:crypto';
import { isSlipwayError } from '../core/errors.js';
import { nextAttemptDelay } from '../core/notifications.js';
import { nowIso } from '../platform/time.js';
import type { EgressPolicy } from '../registry/client/index.js';
import type { Keyring } from '../secrets/secrets.js';
import type { ApplicationNotificationsTable, Db } from '../store/schema.js';
import { openNotifySecret } from './notify-settings.js';

export interface DeliveryLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface DelivererOptions {
  /** One attempt's deadline. @default 5000 */
  timeoutMs?: number;
  /** How often due attempts are looked for. @default 5000 */
  sweepMs?: number;
  /** How long a claimed attempt is held before another control plane may take it. @default 20000 */
  leaseMs?: number;
}

/** The JSON body of a notification webhook, as signed. */
export function notificationBody(n: ApplicationNotificationsTable, application: string, workspace: string): Buffer {
  return Buffer.from(JSON.stringify({ id: n.id, kind: n.kind, application, workspace, message: n.message, details: JSON.parse(n.details) as unknown, createdAt: n.created_at }), 'utf8');
}

/** `sha256=<hex HMAC-SHA256(secret, body)>`, the X-Slipway-Signature of a body. */
export function signatureOf(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

type Outcome = { ok: true } | { ok: false; error: string; final: boolean };

const plus = (ms: number) => new Date(Date.now() + ms).toISOString();

export class NotificationDeliverer {
  readonly #db: Db;
  readonly #keyring: Keyring;
  readonly #egress: EgressPolicy;
  readonly #logger: DeliveryLogger;
  readonly #userAgent: string;
  readonly #timeoutMs: number;
  readonly #sweepMs: number;
  readonly #leaseMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(deps: { db: Db; keyring: Keyring; egress: EgressPolicy; logger: DeliveryLogger; version: string }, options: DelivererOptions = {}) {
    this.#db = deps.db;
    this.#keyring = deps.keyring;
    this.#egress = deps.egress;
    this.#logger = deps.logger;
    this.#userAgent = `Slipway/${deps.version}`;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#sweepMs = options.sweepMs ?? 5_000;
    this.#leaseMs = options.leaseMs ?? 20_000;
  }

  /**
   * Sweeps every 5 s: a retry is due at most that late, a lapsed claim of a crashed control
   * plane (20 s lease, four times the attempt's deadline) is taken within 25 s, and an idle
   * sweep is one indexed query. No jitter: the claim, not the timing, keeps planes apart.
   */
  start(): this {
    this.#timer = setInterval(() => this.poke(), this.#sweepMs);
    this.#timer.unref();
    this.poke();
    return this;
  }

  /** Looks for due attempts now (after the sweep under way, if any). */
  poke(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#sweep()
      .catch((error: unknown) => this.#logger.warn({ err: error }, 'the notification deliverer could not run'))
      .finally(() => {
        this.#running = null;
        if (this.#again) {
          this.#again = false;
          this.poke();
        }
      });
  }

  /** Stops sweeping; waits for the attempts under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  async #sweep(): Promise<void> {
    const due = await this.#db
      .selectFrom('application_notifications')
      .select(['id', 'webhook_next_at', 'webhook_attempts'])
      .where('webhook_state', '=', 'pending')
      .where('webhook_next_at', '<=', nowIso())
      .orderBy('webhook_next_at')
      .limit(32)
      .execute();
    // A few at a time: one slow receiver does not hold up the others for long.
    for (let i = 0; i < due.length && !this.#stopped; i += 4) {
      await Promise.all(due.slice(i, i + 4).map((d) => this.#attempt(d.id, d.webhook_next_at!, d.webhook_attempts)));
    }
  }

  async #attempt(id: string, seenDue: string, attempts: number): Promise<void> {
    const leaseUntil = plus(this.#leaseMs);
    const claimed = await this.#db
      .updateTable('application_notifications')
      .set({ webhook_next_at: leaseUntil, webhook_attempts: attempts + 1 })
      .where('id', '=', id)
      .where('webhook_state', '=', 'pending')
      .where('webhook_next_at', '=', seenDue)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return;
    const outcome = await this.#send(id).catch((error: unknown): Outcome => ({ ok: false, error: `internal error: ${(error as Error).message?.split('\n')[0]?.slice(0, 200) ?? 'unknown'}`, final: false }));
    const retryIn = outcome.ok || outcome.final ? null : nextAttemptDelay(attempts + 1);
    const state = outcome.ok ? 'sent' : retryIn === null ? 'failed' : 'pending';
    await this.#db
      .updateTable('application_notifications')
      .set({ webhook_state: state, webhook_error: outcome.ok ? null : outcome.error, webhook_next_at: retryIn === null ? null : plus(retryIn) })
      .where('id', '=', id)
      .where('webhook_next_at', '=', leaseUntil)
      .execute();
    if (outcome.ok) this.#logger.info({ notification: id, attempt: attempts + 1 }, 'notification webhook sent');
    else this.#logger.warn({ notification: id, attempt: attempts + 1, error: outcome.error, state }, 'notification webhook attempt failed');
  }

  async #send(id: string): Promise<Outcome> {
    const n = await this.#db.selectFrom('application_notifications').selectAll().where('id', '=', id).executeTakeFirst();
    const app = n ? await this.#db.selectFrom('applications').selectAll().where('id', '=', n.application_id).executeTakeFirst() : undefined;
    if (!n || !app || app.notify_url === null) return { ok: false, error: 'the application has no notify URL any more', final: true };
    const secret = openNotifySecret(this.#keyring, app);
    if (secret === null) return { ok: false, error: 'the application has no notify secret (set the URL again)', final: true };
    const workspace = await this.#db.selectFrom('workspaces').select('name').where('id', '=', app.workspace_id).executeTakeFirst();
    const body = notificationBody(n, app.name, workspace?.name ?? '');
    const headers = {
      'content-type': 'application/json',
      'content-length': String(body.length),
      'user-agent': this.#userAgent,
      'x-slipway-event': n.kind,
      'x-slipway-delivery': n.id,
      'x-slipway-signature': signatureOf(secret, body),
    };
    try {
      const res = await this.#egress.fetch(new URL(app.notify_url), { method: 'POST', headers, body, signal: AbortSignal.timeout(this.#timeoutMs) });
      // The receiver's answer is never read, stored or logged.
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true };
      if (res.status >= 300 && res.status < 400) return { ok: false, error: `HTTP ${res.status}: the receiver redirects, and redirects are not followed; set the final URL`, final: true };
      return { ok: false, error: `HTTP ${res.status}`, final: false };
    } catch (error) {
      if (isSlipwayError(error)) return { ok: false, error: `${error.code}: ${error.message}`, final: error.code === 'SLW_NOTIFY_HOST_REFUSED' };
      const e = error as { name?: string; code?: string; message?: string };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') return { ok: false, error: `no answer within ${this.#timeoutMs / 1000} s`, final: false };
      return { ok: false, error: e.code ? `cannot reach the receiver (${e.code})` : `cannot reach the receiver (${(e.message ?? 'error').split('\n')[0]!.slice(0, 200)})`, final: false };
    }
  }
}
