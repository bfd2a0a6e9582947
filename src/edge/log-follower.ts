/**
 * Follows a log file that another process appends to (like `tail -f`), passing each complete line
 * on and keeping the last few for error messages.
 *
 * @module
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** A running follower. */
export interface LogFollower {
  /** The last lines seen, oldest first. */
  recent(): string[];
  /** Records a line of our own (e.g. why the process could not start) as if it had been logged. */
  add(line: string): void;
  /** Reads what is left, then stops following. */
  stop(): void;
}

const RECENT_LINES = 20;
/**
 * Polls every 200 ms: the lines are for people and diagnostics, a fifth of a second of delay is
 * invisible there, and a poll of an unchanged file is one read() that returns nothing. No backoff
 * or jitter: one local file. The final read on stop() catches what was written last.
 */
const POLL_INTERVAL_MS = 200;
const CHUNK = 64 * 1024;

/** Follows `file` from byte `offset` on, calling `onLine` for every complete line. */
export function followLog(file: string, offset: number, onLine: (line: string) => void): LogFollower {
  const recent: string[] = [];
  let position = offset;
  let partial = '';
  let stopped = false;
  const add = (line: string) => {
    recent.push(line);
    if (recent.length > RECENT_LINES) recent.shift();
    onLine(line);
  };
  const drain = () => {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return;
    }
    try {
      const buffer = Buffer.alloc(CHUNK);
      for (;;) {
        const read = readSync(fd, buffer, 0, CHUNK, position);
        if (read === 0) break;
        position += read;
        const lines = (partial + buffer.subarray(0, read).toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line !== '') add(line);
      }
    } finally {
      closeSync(fd);
    }
  };
  const timer = setInterval(drain, POLL_INTERVAL_MS);
  timer.unref();
  return {
    recent: () => {
      if (!stopped) drain();
      return [...recent];
    },
    add,
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      drain();
      if (partial !== '') add(partial);
      partial = '';
    },
  };
}
