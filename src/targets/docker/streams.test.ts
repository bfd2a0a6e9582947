/**
 * The stream decoders on hand-made bytes: frames cut at every possible place, long lines over
 * several frames, a UTF-8 character split between frames, timestamps, JSON lines.
 */
import { describe, expect, it } from 'vitest';
import { sinceOf } from './logs.js';
import { demuxLines, FrameDecoder, jsonLines } from './streams.js';

function frame(type: 1 | 2, text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text) : text;
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function* chunks(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('FrameDecoder', () => {
  it('gives the same frames whatever the chunk size', () => {
    const data = Buffer.concat([frame(1, 'one\n'), frame(2, 'two\n'), frame(1, ''), frame(1, 'three\n')]);
    for (let size = 1; size <= data.length; size++) {
      const d = new FrameDecoder();
      const frames = [];
      for (let i = 0; i < data.length; i += size) frames.push(...d.push(data.subarray(i, i + size)));
      expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([['stdout', 'one\n'], ['stderr', 'two\n'], ['stdout', ''], ['stdout', 'three\n']]);
      expect(d.leftover).toBe(0);
    }
  });
});

describe('demuxLines', () => {
  it('splits lines per stream, joins a line spread over frames, keeps the last partial line', async () => {
    const long = 'x'.repeat(40_000);
    const data = Buffer.concat([
      frame(1, 'a\nb'), frame(2, 'err1\n'), frame(1, 'c\n'),
      frame(1, long.slice(0, 16_384)), frame(1, long.slice(16_384, 32_768)), frame(1, `${long.slice(32_768)}\n`),
      frame(1, 'crlf\r\n'), frame(2, 'no newline'),
    ]);
    for (const size of [1, 7, 100, 65_536]) {
      const lines = await collect(demuxLines(chunks(data, size)));
      expect(lines).toEqual([
        { stream: 'stdout', line: 'a' }, { stream: 'stderr', line: 'err1' }, { stream: 'stdout', line: 'bc' },
        { stream: 'stdout', line: long }, { stream: 'stdout', line: 'crlf' }, { stream: 'stderr', line: 'no newline' },
      ]);
    }
  });

  it('decodes a UTF-8 character split between two frames', async () => {
    const bytes = Buffer.from('héllo wörld\n');
    const data = Buffer.concat([frame(1, bytes.subarray(0, 2)), frame(1, bytes.subarray(2))]);
    expect(await collect(demuxLines(chunks(data, 3)))).toEqual([{ stream: 'stdout', line: 'héllo wörld' }]);
  });

  it('takes the timestamp off every frame and gives each line the time it started', async () => {
    const t1 = '2024-05-01T10:00:00.000000001Z';
    const t2 = '2024-05-01T10:00:00.000000002Z';
    const euro = Buffer.from('€');
    const data = Buffer.concat([
      frame(1, `${t1} first\n`),
      frame(1, Buffer.concat([Buffer.from(`${t2} long `), euro.subarray(0, 1)])),
      frame(1, Buffer.concat([Buffer.from(`${t1} `), euro.subarray(1), Buffer.from(' end\n')])),
    ]);
    expect(await collect(demuxLines(chunks(data, 5), { timestamps: true }))).toEqual([
      { stream: 'stdout', line: 'first', timestamp: t1 },
      { stream: 'stdout', line: 'long € end', timestamp: t2 },
    ]);
  });
});

describe('jsonLines', () => {
  it('parses documents cut anywhere, skipping blank lines', async () => {
    const text = Buffer.from('{"status":"Pulling"}\r\n\n{"status":"Digest: sha256:ab","id":"ü"}\n{"error":"x"}');
    expect(await collect(jsonLines(chunks(text, 3)))).toEqual([{ status: 'Pulling' }, { status: 'Digest: sha256:ab', id: 'ü' }, { error: 'x' }]);
  });
});

describe('sinceOf', () => {
  it('turns an engine timestamp into seconds.nanoseconds', () => {
    expect(sinceOf('2024-05-01T10:00:00.000000001Z')).toBe('1714557600.000000001');
    expect(sinceOf('2024-05-01T10:00:00.5Z')).toBe('1714557600.500000000');
    expect(sinceOf('2024-05-01T10:00:00Z')).toBe('1714557600.000000000');
    expect(sinceOf('2024-05-01T12:00:00+02:00')).toBeUndefined();
  });
});
