/**
 * The workspace change stream across control planes (ADR 0018): every change this process
 * announces is also published on a channel all the processes of the store listen on (PostgreSQL
 * NOTIFY, src/store/notify.ts), and every change another process published is delivered to this
 * process's followers — once, and never this process's own (each payload names its origin and
 * its number there; the channel keeps one process's payloads in order).
 *
 * A payload is `{"o": origin, "s": number, "w": workspace id, "c": change}`. Changes are small
 * (ids, names of at most 63 characters, a status: well under 1 kB), far below NOTIFY's 8000
 * bytes; one that were not would be published as a marker without `c` (`"r": 1`), and its
 * receivers tell that workspace's followers to read again (`kind: resync`). So does every
 * process, to all its followers, when its LISTEN connection is back after a drop: what was
 * published meanwhile is not replayed.
 *
 * SQLite has no channel: one server per data directory, its own announcements are all there is.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { WorkspaceChange } from '../api/streams.js';
import { addChangeOutlet, announceResync, deliverChange } from './events.js';

/** The channel's name on PostgreSQL. */
export const changeChannelName = 'slipway_changes';

/** What the relay hears from its channel (the port's listener). */
export interface ChangeChannelListener {
  message(payload: string): void;
  up(again: boolean): void;
  down(error: Error, retryMs: number, attempt: number): void;
}

/** The port: a channel to every process of the store (PostgreSQL LISTEN/NOTIFY in src/store/notify.ts). */
export interface ChangeChannel {
  publish(payload: string): Promise<void>;
  close(): Promise<void>;
}

/** Bytes a payload may have (NOTIFY refuses 8000 and more). */
export const maxChangePayloadBytes = 7999;

interface Payload {
  o: string;
  s: number;
  w: string;
  c?: WorkspaceChange;
  r?: 1;
}

export interface ChangeRelay {
  /** This process's name on the channel. */
  origin: string;
  /** Resolves once the channel first said it is up or down (a server starts listening before it serves). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** What the relay reports as it goes (the server's metrics). */
export interface ChangeRelayObserver {
  /** The LISTEN connection went up (true) or down (false). */
  listening?(up: boolean): void;
  /** A change of another process was delivered here. */
  relayed?(): void;
  /** Publishing a change of this process failed (the other processes' followers miss it). */
  publishFailed?(): void;
}

/** Origins remembered for their last number (a process that stopped is forgotten after this many newer ones). */
const maxOrigins = 256;

/** Relays this process's announcements to the others, and theirs to this process's followers. */
export function startChangeRelay(open: (listener: ChangeChannelListener) => ChangeChannel, logger: Logger, options: { origin?: string; observer?: ChangeRelayObserver } = {}): ChangeRelay {
  const origin = options.origin ?? `${process.pid}-${randomUUID()}`;
  const observer = options.observer ?? {};
  let seq = 0;
  /** The last number delivered per origin: a payload at or below it was delivered already. */
  const last = new Map<string, number>();
  let failing = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const receive = (text: string) => {
    let p: Payload;
    try {
      p = JSON.parse(text) as Payload;
    } catch {
      return;
    }
    if (typeof p !== 'object' || p === null || typeof p.o !== 'string' || typeof p.s !== 'number' || typeof p.w !== 'string') return;
    if (p.o === origin) return;
    const seen = last.get(p.o);
    if (seen !== undefined && p.s <= seen) return;
    last.delete(p.o);
    last.set(p.o, p.s);
    if (last.size > maxOrigins) last.delete(last.keys().next().value!);
    if (p.r === 1) announceResync([p.w]);
    else if (typeof p.c === 'object' && p.c !== null && typeof (p.c as { kind?: unknown }).kind === 'string') deliverChange(p.w, p.c);
    else return;
    observer.relayed?.();
  };

  const channel = open({
    message: receive,
    up: (again) => {
      markReady();
      observer.listening?.(true);
      if (!again) {
        logger.info({ channel: changeChannelName }, 'change stream: listening for the changes of the other control planes');
        return;
      }
      logger.info({ channel: changeChannelName }, 'change stream: the LISTEN connection is back; followers are told to read again (changes of other control planes made meanwhile were missed)');
      announceResync();
    },
    down: (error, retryMs, attempt) => {
      markReady();
      observer.listening?.(false);
      logger.warn({ err: error.message, retryMs, attempt, channel: changeChannelName }, `change stream: the LISTEN connection is down (changes of other control planes are not relayed until it is back); reconnecting in ${retryMs} ms`);
    },
  });

  const publish = (workspaceId: string, change: WorkspaceChange) => {
    if (change.kind === 'resync') return;
    seq += 1;
    let text = JSON.stringify({ o: origin, s: seq, w: workspaceId, c: change } satisfies Payload);
    if (Buffer.byteLength(text) > maxChangePayloadBytes) text = JSON.stringify({ o: origin, s: seq, w: workspaceId, r: 1 } satisfies Payload);
    channel.publish(text).then(
      () => {
        if (!failing) return;
        failing = false;
        logger.info('change stream: publishing changes to the other control planes again');
      },
      (error: unknown) => {
        observer.publishFailed?.();
        if (failing) return;
        failing = true;
        logger.warn({ err: (error as Error).message }, 'change stream: publishing a change to the other control planes failed (their followers miss it); later failures are not logged until one succeeds');
      },
    );
  };
  const remove = addChangeOutlet(publish);

  return {
    origin,
    ready,
    close: async () => {
      remove();
      markReady();
      await channel.close();
    },
  };
}
