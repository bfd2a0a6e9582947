/**
 * Container logs as lines. Following ends when the container stops, but engine 20.10 closes a
 * follow stream as soon as the container stops, which can drop the last message (a final line
 * without newline written by a process that ends is reliably lost: it is stored only when the
 * process's output closes). So a follow always asks for timestamps, and when the engine ends it,
 * one more plain read from the last timestamp seen delivers what the follow missed, skipping the
 * messages already delivered.
 *
 * @module
 */
import { LineAssembler, logMessages, type LogMessage } from './streams.js';
import { pathSegment, type DockerTransport, type QueryValue } from './transport.js';
import type { LogLine, LogOptions } from './types.js';

/** `since` for the engine (`seconds.nanoseconds`) from an RFC 3339 UTC timestamp with nanoseconds. */
export function sinceOf(timestamp: string): string | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(timestamp);
  if (!m?.[1]) return undefined;
  const seconds = Date.parse(`${m[1]}Z`) / 1000;
  return Number.isFinite(seconds) ? `${seconds}.${(m[2] ?? '').padEnd(9, '0')}` : undefined;
}

/** Where a follow got to: the last message's timestamp and how many messages carried it. */
class Position {
  last: string | undefined;
  count = 0;

  see(message: LogMessage): void {
    if (message.timestamp === undefined) return;
    if (message.timestamp === this.last) this.count++;
    else {
      this.last = message.timestamp;
      this.count = 1;
    }
  }

  /** True for a message of the catch-up read that the follow already delivered. */
  delivered(message: LogMessage, skipped: { count: number }): boolean {
    if (this.last === undefined || message.timestamp === undefined) return false;
    if (message.timestamp < this.last) return true; // fixed-width UTC times sort as text
    if (message.timestamp === this.last && skipped.count < this.count) {
      skipped.count++;
      return true;
    }
    return false;
  }
}

export async function* readLogs(t: DockerTransport, id: string, options: LogOptions, signal?: AbortSignal): AsyncGenerator<LogLine> {
  const path = `/containers/${pathSegment(id)}/logs`;
  const base = { stdout: true, stderr: true, timestamps: options.follow || (options.timestamps ?? false) };
  const query = (extra: Record<string, QueryValue>): Record<string, QueryValue> => ({ ...base, ...extra });
  const lines = new LineAssembler(options.timestamps ?? false);
  const at = new Position();
  const request = { method: 'GET' as const, path, ...(signal ? { signal } : {}) };
  const first = query({ follow: options.follow, since: options.since, tail: options.tail ?? 'all' });
  for await (const message of t.stream({ ...request, query: first }, (body) => logMessages(body, base.timestamps))) {
    at.see(message);
    yield* lines.push(message);
  }
  if (options.follow && !signal?.aborted) {
    const since = at.last === undefined ? undefined : sinceOf(at.last);
    const again = since === undefined ? query({ since: options.since, tail: options.tail ?? 'all' }) : query({ since });
    const skipped = { count: 0 };
    for await (const message of t.stream({ ...request, query: again }, (body) => logMessages(body, true))) {
      if (!at.delivered(message, skipped)) yield* lines.push(message);
    }
  }
  if (!signal?.aborted) yield* lines.flush();
}
