/**
 * Readable server logs for a terminal: a pino destination that turns each JSON line into one
 * line `HH:MM:SS.mmm LEVEL message key=value …` (an error's stack follows, indented). pino has
 * applied its redaction before a line reaches it, so what it prints is already redacted.
 *
 * @module
 */
import { Writable } from 'node:stream';
import picocolors from 'picocolors';

/** `auto`: readable on a terminal, JSON otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** Whether to print readable lines to a destination. */
export function wantsPretty(format: LogFormat, isTTY: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && isTTY);
}

const levelNames: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line has, or that are shown elsewhere in the line. */
const skipped = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'v', 'req', 'res', 'responseTime', 'reqId', 'err']);

type Colors = ReturnType<typeof picocolors.createColors>;

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

function clock(time: unknown): string {
  const d = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** One JSON log line as a readable line (a line that is not JSON is returned as it is). */
export function formatLogLine(line: string, c: Colors = picocolors.createColors(false)): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null) return line;
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const name = (levelNames[level] ?? String(level)).padEnd(5);
  const paint = level >= 50 ? c.red : level >= 40 ? c.yellow : level >= 30 ? c.green : c.dim;
  const parts = [c.dim(clock(entry.time)), paint(name)];
  const req = entry.req as { method?: unknown; url?: unknown } | undefined;
  const res = entry.res as { statusCode?: unknown } | undefined;
  if (entry.reqId !== undefined) parts.push(c.dim(String(entry.reqId)));
  if (req && typeof req === 'object') parts.push(`${String(req.method ?? '')} ${String(req.url ?? '')}`.trim());
  if (res && typeof res === 'object' && res.statusCode !== undefined) parts.push(String(res.statusCode));
  if (typeof entry.responseTime === 'number') parts.push(`${entry.responseTime.toFixed(1)}ms`);
  if (typeof entry.msg === 'string') parts.push(entry.msg);
  const err = entry.err as { type?: unknown; message?: unknown; stack?: unknown } | undefined;
  if (err && typeof err === 'object') parts.push(`${c.dim('err=')}${value(err.message ?? err.type)}`);
  for (const [k, v] of Object.entries(entry)) if (!skipped.has(k) && v !== undefined) parts.push(`${c.dim(`${k}=`)}${value(v)}`);
  let text = parts.join(' ');
  if (level >= 50 && err && typeof err.stack === 'string') text += `\n${err.stack.split('\n').map((l) => `    ${c.dim(l.trim())}`).join('\n')}`;
  return text;
}

/** A pino destination that writes readable lines to `out` (colours only when asked). */
export function prettyDestination(out: NodeJS.WritableStream, colors: boolean): Writable {
  const c = picocolors.createColors(colors);
  let partial = '';
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      const text = lines.filter((l) => l.length > 0).map((l) => `${formatLogLine(l, c)}\n`).join('');
      if (text.length > 0) out.write(text);
      done();
    },
  });
}
