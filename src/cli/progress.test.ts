/** The byte progress of uploads and downloads: a bar redrawn per percent on a terminal, a line per 10 % otherwise. */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { countReporter, countingStream, progressReporter } from './progress.js';

describe('progress', () => {
  it('writes a line per 10 % when not on a terminal, the last at 100 %', () => {
    const out: string[] = [];
    const report = progressReporter('download', (t) => void out.push(t), false);
    for (let sent = 0; sent <= 1000; sent += 50) report(sent, 1000);
    expect(out).toHaveLength(11);
    expect(out[0]).toBe('download 0 B / 1.0 kB (0%)\n');
    expect(out.at(-1)).toBe('download 1.0 kB / 1.0 kB (100%)\n');
  });

  it('redraws the bar on a terminal only when the percentage changes, and ends it with a newline', () => {
    const out: string[] = [];
    const report = progressReporter('upload', (t) => void out.push(t), true);
    for (let sent = 0; sent <= 10_000; sent += 10) report(sent, 10_000);
    expect(out).toHaveLength(101);
    expect(out.every((t) => t.startsWith('\rupload ['))).toBe(true);
    expect(out.at(-1)).toMatch(/100%\n$/);
    expect(out.slice(0, -1).some((t) => t.endsWith('\n'))).toBe(false);
  });

  it('counts a stream of unknown length: per MiB in place on a terminal, per 64 MiB otherwise, and says when it is done', () => {
    const mib = 1024 * 1024;
    const tty: string[] = [];
    const onTty = countReporter('upload', (t) => void tty.push(t), true);
    for (let sent = 0; sent <= 3 * mib; sent += 256 * 1024) onTty.sent(sent);
    onTty.done(3 * mib + 10);
    expect(tty).toEqual(['\rupload 0 B so far', '\rupload 1.0 MB so far', '\rupload 2.1 MB so far', '\rupload 3.1 MB so far', '\rupload 3.1 MB (done)\n']);
    const plain: string[] = [];
    const off = countReporter('upload', (t) => void plain.push(t), false);
    for (let sent = 0; sent <= 130 * mib; sent += mib) off.sent(sent);
    off.done(130 * mib);
    expect(plain).toEqual(['upload 67.1 MB so far\n', 'upload 134.2 MB so far\n', 'upload 136.3 MB (done)\n']);
  });

  it('counts the bytes that pass through, unchanged', async () => {
    const seen: number[] = [];
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(chunk);
        cb();
      },
    });
    await pipeline(Readable.from([Buffer.from('abc'), Buffer.from('defg')]), countingStream(7, (sent) => void seen.push(sent)), sink);
    expect(seen).toEqual([3, 7]);
    expect(Buffer.concat(chunks).toString()).toBe('abcdefg');
  });
});
