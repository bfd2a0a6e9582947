/**
 * A PostgreSQL notification channel (LISTEN/NOTIFY) between the processes of one store: text
 * published by any of them reaches every process listening on the channel, itself included.
 * Publishing goes through the store's pool, one NOTIFY at a time in the order asked (so two
 * payloads of one process never overtake each other on two pooled connections). Listening holds
 * a connection of its own (TCP keep-alive, and a round trip every 30 s, so a silently dead one
 * is noticed); when it drops (or cannot be made) it is made again after a backoff
 * (250 ms doubling to 30 s, with jitter), and the listener is told both ways. Nothing is replayed:
 * what was published while the LISTEN connection was down is not received.
 *
 * SQLite has no such channel (one server per data directory: nothing to tell).
 *
 * @module
 */
import { sql } from 'kysely';
import pg from 'pg';
import type { Db } from './schema.js';

/** What a channel tells its listener. */
export interface ChannelListener {
  /** A payload published on the channel (by any process, this one too). */
  message(payload: string): void;
  /** The LISTEN connection is up: the first time (`again` false), or after it dropped. */
  up(again: boolean): void;
  /** It dropped or could not be made (`attempt` in a row); it is tried again in `retryMs`. */
  down(error: Error, retryMs: number, attempt: number): void;
}

/** An open channel. */
export interface NotifyChannel {
  /** Publishes `payload` (NOTIFY: shorter than 8000 bytes) after the ones asked before it. */
  publish(payload: string): Promise<void>;
  /** The server process id of the LISTEN connection, null while it is down (for logs and tests). */
  listenerPid(): number | null;
  /** Stops listening (no more reconnects) and waits for the publishes under way. */
  close(): Promise<void>;
}

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
export const maxNotifyBytes = 7999;

/** Publishes waiting at most; more are refused (the store is not keeping up). */
const maxQueued = 1000;

export interface ChannelOptions {
  /** First retry delay; doubled on each failure in a row up to `maxRetryMs`. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /** How often the idle LISTEN connection is checked with a round trip (a peer that vanished without closing it is noticed). */
  pingMs?: number;
}

/** Opens channel `name` (an SQL identifier: lower-case letters, digits, `_`) on the store at `url`, publishing through `db`. */
export function openNotifyChannel(url: string, db: Db, name: string, listener: ChannelListener, options: ChannelOptions = {}): NotifyChannel {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid channel name ${JSON.stringify(name)}`);
  const minRetryMs = options.minRetryMs ?? 250;
  const maxRetryMs = options.maxRetryMs ?? 30_000;
  const pingMs = options.pingMs ?? 30_000;
  let closed = false;
  let current: pg.Client | undefined;
  let pid: number | null = null;
  let attempt = 0;
  let wasUp = false;
  let retry: NodeJS.Timeout | undefined;
  let ping: NodeJS.Timeout | undefined;
  let tail: Promise<void> = Promise.resolve();
  let queued = 0;
  const lost = new WeakSet<pg.Client>();

  const drop = (client: pg.Client, error: Error) => {
    if (lost.has(client)) return;
    lost.add(client);
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    if (current === client) {
      current = undefined;
      pid = null;
      clearInterval(ping);
    }
    if (closed) return;
    attempt += 1;
    const base = Math.min(maxRetryMs, minRetryMs * 2 ** Math.min(attempt - 1, 20));
    const retryMs = Math.round(base * (0.8 + Math.random() * 0.4));
    try {
      listener.down(error, retryMs, attempt);
    } catch {
      // A listener's failure never stops the reconnects.
    }
    retry = setTimeout(() => void connect(), retryMs);
    retry.unref();
  };

  const connect = async () => {
    retry = undefined;
    if (closed) return;
    // Named so an operator (or a test) finds it in pg_stat_activity.
    const client = new pg.Client({
      connectionString: url,
      application_name: `slipway-listen ${name} ${process.pid}`,
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      query_timeout: Math.min(10_000, pingMs),
    });
    client.on('error', (error) => drop(client, error));
    client.on('end', () => drop(client, new Error('the LISTEN connection ended')));
    client.on('notification', (n) => {
      if (current !== client || n.channel !== name) return;
      try {
        listener.message(n.payload ?? '');
      } catch {
        // One bad payload never stops the others.
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${name}`);
      const r = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      if (lost.has(client)) return;
      if (closed) {
        lost.add(client);
        await client.end().catch(() => undefined);
        return;
      }
      current = client;
      pid = r.rows[0]?.pid ?? null;
      attempt = 0;
      // A connection whose peer vanished without a word is idle forever: a round trip finds out.
      ping = setInterval(() => void client.query('select 1').catch((error: unknown) => drop(client, error as Error)), pingMs);
      ping.unref();
      const again = wasUp;
      wasUp = true;
      try {
        listener.up(again);
      } catch {
        // as above
      }
    } catch (error) {
      drop(client, error as Error);
    }
  };

  void connect();

  return {
    publish(payload: string): Promise<void> {
      if (closed) return Promise.reject(new Error('the notification channel is closed'));
      if (Buffer.byteLength(payload) > maxNotifyBytes) return Promise.reject(new Error(`a notification of ${Buffer.byteLength(payload)} bytes is over PostgreSQL's limit (${maxNotifyBytes})`));
      if (queued >= maxQueued) return Promise.reject(new Error(`${maxQueued} notifications are already waiting to be published`));
      queued += 1;
      const sent = tail.then(async () => {
        try {
          await sql`select pg_notify(${name}, ${payload})`.execute(db);
        } finally {
          queued -= 1;
        }
      });
      tail = sent.catch(() => undefined);
      return sent;
    },
    listenerPid: () => pid,
    async close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(ping);
      const client = current;
      current = undefined;
      pid = null;
      if (client) {
        lost.add(client);
        client.removeAllListeners('notification');
        // A connection gone silent never answers the goodbye: give it a moment, not forever.
        await Promise.race([client.end().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      }
      await tail;
    },
  };
}
