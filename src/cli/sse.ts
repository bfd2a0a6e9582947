/**
 * Following a deploy's server-sent events: prints each `log` event once, reconnects after a
 * network blip with `Last-Event-ID` (so nothing is lost or repeated), and returns the `end`
 * event's status. Also a workspace's change stream, as a wake-up for a command that follows
 * something by reading it again. Events are read by the shared parser (src/platform/sse-parse.ts).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { DeployEnd, DeployLog, RuntimeEnd, RuntimeLine, WorkspaceChange } from '../api/streams.js';
import { SlipwayError } from '../core/errors.js';
import { SseParser, type SseEvent } from '../platform/sse-parse.js';
import type { ApiClient } from './client.js';

/** A deployment's log event with its sequence number. */
export type LogEvent = DeployLog & { id: number };

/**
 * Follows a stream of numbered `log` events to its `end` event (a deployment's log by default; a
 * pipeline run's log has the same protocol with its own shapes).
 */
export async function followEvents<L = DeployLog, E = DeployEnd>(client: ApiClient, path: string, onLog: (e: L & { id: number }) => void, options: { after?: number; maxRetries?: number } = {}): Promise<E> {
  let last = options.after ?? 0;
  let failures = 0;
  for (;;) {
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (last > 0) headers['last-event-id'] = String(last);
      const res = await client.stream(path, headers);
      failures = 0;
      for await (const event of sseEvents(res)) {
        if (event.type === 'end') {
          res.destroy();
          return JSON.parse(event.data) as E;
        }
        if (event.type === 'log') {
          const id = Number(event.id);
          if (id > last) {
            last = id;
            onLog({ id, ...(JSON.parse(event.data) as L) });
          }
        }
      }
      // The stream ended without an end event: the connection dropped; resume.
    } catch (error) {
      // An answer of the server (not found, forbidden) ends the command; a lost connection is retried.
      if (error instanceof SlipwayError && error.code !== 'SLW_SERVER_UNREACHABLE') throw error;
      failures += 1;
      if (failures > (options.maxRetries ?? 30)) throw new SlipwayError('SLW_SERVER_UNREACHABLE', `lost the event stream and could not reconnect: ${(error as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** failures)));
  }
}

/** Prints an environment's runtime output until the server ends the stream or the user stops. */
export async function followRuntime(client: ApiClient, path: string, onLine: (e: RuntimeLine) => void): Promise<RuntimeEnd | undefined> {
  const res = await client.stream(path, { accept: 'text/event-stream' });
  for await (const event of sseEvents(res)) {
    if (event.type === 'log') onLine(JSON.parse(event.data) as RuntimeLine);
    if (event.type === 'end') {
      res.destroy();
      return JSON.parse(event.data) as RuntimeEnd;
    }
  }
  return undefined;
}

/** A workspace's change stream being read in the background. */
export interface ChangeWatch {
  /** Whether the stream is still open (it is not reopened: a follower then reads on a timer). */
  live(): boolean;
  close(): void;
}

/**
 * Opens the workspace change stream at `path` and calls `onChange` with each change of a known
 * shape (kinds this CLI does not know are passed on too: `onChange` picks). Resolves once the
 * stream is open, so a change made after that is seen; rejects when it cannot be opened (e.g.
 * the token's streams are all in use).
 */
export async function watchChanges(client: ApiClient, path: string, onChange: (change: WorkspaceChange) => void): Promise<ChangeWatch> {
  const res = await client.stream(path, { accept: 'text/event-stream' });
  let live = true;
  void (async () => {
    try {
      for await (const event of sseEvents(res)) {
        if (event.type !== 'change') continue;
        try {
          onChange(JSON.parse(event.data) as WorkspaceChange);
        } catch {
          // Not JSON: not a change this CLI can read.
        }
      }
    } catch {
      // Closed, or the connection dropped.
    }
    live = false;
  })();
  return {
    live: () => live,
    close: () => {
      live = false;
      res.destroy();
    },
  };
}

/** A follower's pause: until `wanted` announces a change, or `ms` pass. */
export interface ChangeWaiter {
  /** Resolves when a wanted change arrives (at once if one came since the last pause) or after `ms`. */
  next(ms: number): Promise<void>;
  /** Whether the stream is still open (a follower then reads on a shorter timer). */
  live(): boolean;
  close(): void;
}

/**
 * Follows the workspace change stream at `path` for the changes `wanted` picks, for a command
 * that reads something again whenever it changed (or the server says it may have missed
 * changes: `resync`) and on a timer besides. Opened before the
 * first read, so a change between that read and the stream is not missed. When the stream
 * cannot be opened, `next` only waits out its time.
 */
export async function changeWaiter(client: ApiClient, path: string, wanted: (change: WorkspaceChange) => boolean): Promise<ChangeWaiter> {
  let changed = false;
  let wake: (() => void) | undefined;
  const watch = await watchChanges(client, path, (c) => {
    // resync: the server may have missed changes (its link to the other control planes of a
    // PostgreSQL store dropped and is back), wanted ones among them: read again.
    if (c.kind !== 'resync' && !wanted(c)) return;
    changed = true;
    wake?.();
  }).catch(() => null);
  return {
    next: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => done(), ms);
        const done = () => {
          clearTimeout(timer);
          wake = undefined;
          changed = false;
          resolve();
        };
        wake = done;
        // A change announced while the last read ran is read at once.
        if (changed) done();
      }),
    live: () => watch?.live() ?? false,
    close: () => watch?.close(),
  };
}

/** The events of a `text/event-stream` answer, as they arrive. */
async function* sseEvents(res: IncomingMessage): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  res.setEncoding('utf8');
  for await (const text of res as AsyncIterable<string>) yield* parser.push(text);
}
