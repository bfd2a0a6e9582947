/**
 * Output: one JSON document with --json, readable tables otherwise. Errors: one line on stderr
 * (`error SLW_…: message`), and with --json also the error document on stdout.
 *
 * @module
 */
import pc from 'picocolors';
import type { SlipwayError } from '../core/errors.js';
import { drawTable } from './table.js';

/** Colours. */
export { pc };

/** Where output goes (a seam for tests). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Real stdout/stderr. */
export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Renders rows as a table with the given columns; `—` for null. */
export function table(head: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string {
  if (rows.length === 0) return pc.dim('(none)');
  return drawTable(
    head.map((h) => pc.bold(h)),
    rows.map((r) => r.map((c) => (c === null || c === undefined ? '—' : String(c)))),
  );
}

/** Prints either `json` as one document or the human text. */
export function emit(io: Io, json: boolean, value: unknown, human: () => string): void {
  io.out(json ? JSON.stringify(value, null, 2) : human());
}

/** Prints an error the CLI way. */
export function emitError(io: Io, json: boolean, error: SlipwayError): void {
  if (json) io.out(JSON.stringify({ error: { code: error.code, message: error.message } }, null, 2));
  io.err(`${pc.red('error')} ${error.code}: ${error.message}`);
}

/** A short form of a timestamp for tables (`2026-11-22 21:59`). */
export function shortTime(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 16).replace('T', ' ') : '—';
}

/** The line that says a log was removed by retention, so it does not read as "no output"; null while it is all there. */
export function prunedLine(at: string | null | undefined): string | null {
  return at ? `logs removed by retention on ${shortTime(at)} UTC (server --keep-logs)` : null;
}
