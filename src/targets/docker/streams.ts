/**
 * Decoders for the engine's streamed bodies: JSON lines (pull progress, events) and the
 * multiplexed stdout/stderr stream of a non-TTY container's logs, whose frames are an 8-byte
 * header (stream type, three zero bytes, big-endian uint32 length) and the payload. Frames are
 * cut anywhere by the transport and a long line spans several frames, so bytes are buffered until
 * a frame is whole and text until a line is.
 *
 * @module
 */
import { StringDecoder } from 'node:string_decoder';
import type { LogLine } from './types.js';

/** Parses newline-separated JSON documents from a byte stream (blank lines skipped). */
export async function* jsonLines(source: AsyncIterable<Buffer | string>): AsyncGenerator<unknown> {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  for await (const chunk of source) {
    buffer += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let cut: number;
    while ((cut = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, cut).trim();
      buffer = buffer.slice(cut + 1);
      if (line) yield JSON.parse(line) as unknown;
    }
  }
  const rest = (buffer + decoder.end()).trim();
  if (rest) yield JSON.parse(rest) as unknown;
}

/** One whole frame of a multiplexed stream. */
export interface Frame {
  stream: 'stdout' | 'stderr';
  payload: Buffer;
}

/** Cuts a multiplexed byte stream into frames, whatever the chunk boundaries. */
export class FrameDecoder {
  // Chunks are only joined once a whole header or frame is there: tiny chunks stay linear.
  private chunks: Buffer[] = [];
  private length = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.length += chunk.length;
    const frames: Frame[] = [];
    while (this.length >= 8) {
      const size = this.head().readUInt32BE(4);
      if (this.length < 8 + size) break;
      const whole = this.joined();
      // 0 stdin (never sent for logs), 1 stdout, 2 stderr, 3 the engine's own error text.
      const type = whole[0];
      frames.push({ stream: type === 2 || type === 3 ? 'stderr' : 'stdout', payload: whole.subarray(8, 8 + size) });
      const rest = whole.subarray(8 + size);
      this.chunks = rest.length ? [rest] : [];
      this.length = rest.length;
    }
    return frames;
  }

  /** Bytes of an incomplete frame left at the end. */
  get leftover(): number {
    return this.length;
  }

  private head(): Buffer {
    const first = this.chunks[0];
    return first && first.length >= 8 ? first : this.joined();
  }

  private joined(): Buffer {
    const all = this.chunks.length === 1 && this.chunks[0] ? this.chunks[0] : Buffer.concat(this.chunks, this.length);
    this.chunks = [all];
    return all;
  }
}

const timestampPrefix = /^(\d{4}-\d{2}-\d{2}T\S+) /;

/** One log message: a frame's payload, with its timestamp cut off when the engine sent one. */
export interface LogMessage {
  stream: 'stdout' | 'stderr';
  timestamp?: string;
  payload: Buffer;
}

/** The messages of a logs body; with `timestamps` the engine prefixes every message (every frame). */
export async function* logMessages(source: AsyncIterable<Buffer>, timestamps: boolean): AsyncGenerator<LogMessage> {
  const frames = new FrameDecoder();
  for await (const chunk of source) {
    for (const { stream, payload } of frames.push(chunk)) {
      // Cut on the bytes, before a character split between two messages could join up.
      const m = timestamps ? timestampPrefix.exec(payload.subarray(0, 64).toString('latin1')) : null;
      yield m?.[1] ? { stream, timestamp: m[1], payload: payload.subarray(m[0].length) } : { stream, payload };
    }
  }
}

/** Joins the messages of one stream into lines (UTF-8 safe across messages). */
class StreamLines {
  private readonly decoder = new StringDecoder('utf8');
  private text = '';
  private lineTimestamp: string | undefined;

  constructor(private readonly stream: 'stdout' | 'stderr') {}

  push(message: LogMessage): LogLine[] {
    // A line carries the time of the message it started in (a long line spans several).
    if (!this.text && this.lineTimestamp === undefined) this.lineTimestamp = message.timestamp;
    this.text += this.decoder.write(message.payload);
    const lines: LogLine[] = [];
    let cut: number;
    while ((cut = this.text.indexOf('\n')) >= 0) {
      lines.push(this.line(this.text.slice(0, cut)));
      this.text = this.text.slice(cut + 1);
    }
    return lines;
  }

  flush(): LogLine[] {
    this.text += this.decoder.end();
    if (!this.text) return [];
    const last = this.line(this.text);
    this.text = '';
    return [last];
  }

  private line(raw: string): LogLine {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const out: LogLine = this.lineTimestamp === undefined ? { stream: this.stream, line } : { stream: this.stream, line, timestamp: this.lineTimestamp };
    this.lineTimestamp = undefined;
    return out;
  }
}

/** Turns messages of both streams into lines; a last line without newline comes out of `flush`. */
export class LineAssembler {
  private readonly streams = { stdout: new StreamLines('stdout'), stderr: new StreamLines('stderr') };

  /** @param timestamps keep the messages' timestamps on the lines */
  constructor(private readonly timestamps: boolean) {}

  push(message: LogMessage): LogLine[] {
    const m = this.timestamps || message.timestamp === undefined ? message : { stream: message.stream, payload: message.payload };
    return this.streams[m.stream].push(m);
  }

  flush(): LogLine[] {
    return [...this.streams.stdout.flush(), ...this.streams.stderr.flush()];
  }
}

/** Demultiplexes a whole logs body into lines per stream. */
export async function* demuxLines(source: AsyncIterable<Buffer>, options: { timestamps?: boolean } = {}): AsyncGenerator<LogLine> {
  const lines = new LineAssembler(options.timestamps ?? false);
  for await (const message of logMessages(source, options.timestamps ?? false)) yield* lines.push(message);
  yield* lines.flush();
}
