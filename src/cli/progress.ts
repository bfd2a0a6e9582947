/** Byte progress of a long transfer (an upload, a download) on stderr. */
import { Transform } from 'node:stream';
import { humanBytes } from './commands/registry.js';

/**
 * A progress reporter: on a terminal a bar redrawn in place when the percentage changes (and at
 * the end), otherwise a line per 10 %.
 */
export function progressReporter(label: string, write: (text: string) => void, tty: boolean): (sent: number, total: number) => void {
  let last = -1;
  return (sent, total) => {
    const fraction = total === 0 ? 1 : Math.min(1, sent / total);
    if (tty) {
      const percent = Math.floor(fraction * 100);
      if (percent === last && sent !== total) return;
      last = percent;
      const width = 30;
      const filled = Math.round(fraction * width);
      write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${humanBytes(sent)} / ${humanBytes(total)} ${percent}%${sent === total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth !== last) {
      last = tenth;
      write(`${label} ${humanBytes(sent)} / ${humanBytes(total)} (${tenth * 10}%)\n`);
    }
  };
}

/**
 * Bytes sent of a stream whose length is not known (an upload from standard input): on a terminal
 * a count redrawn in place as each MiB passes, otherwise a line per 64 MiB; `done` ends it.
 */
export function countReporter(label: string, write: (text: string) => void, tty: boolean): { sent(bytes: number): void; done(bytes: number): void } {
  let last = -1;
  const step = tty ? 1024 * 1024 : 64 * 1024 * 1024;
  return {
    sent(bytes) {
      const at = Math.floor(bytes / step);
      if (at === last) return;
      last = at;
      if (tty) write(`\r${label} ${humanBytes(bytes)} so far`);
      else if (at > 0) write(`${label} ${humanBytes(bytes)} so far\n`);
    },
    done(bytes) {
      write(`${tty ? '\r' : ''}${label} ${humanBytes(bytes)} (done)\n`);
    },
  };
}

/** A pass-through that reports the bytes through it so far, of `total`. */
export function countingStream(total: number, report: (sent: number, total: number) => void): Transform {
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      report(sent, total);
      callback(null, chunk);
    },
  });
}
