/**
 * A box-drawn table, the layout the CLI has always printed (cli-table3's, with no lines between
 * rows), drawn here: loading cli-table3 and its first render (string-width, emoji regex) cost
 * 30–45 ms of a 200 ms command (measured), more than the API call.
 *
 * @module
 */

// eslint-disable-next-line no-control-regex
const ansi = /\u001b\[[0-9;]*m/g;

/** Columns a code point takes in a terminal: 0 for combining marks, 2 for wide East Asian and emoji. */
function charWidth(cp: number): number {
  if (cp === 0 || (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || cp === 0xfe0f) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** The width of `text` on a terminal (colour codes take none). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text.replace(ansi, '')) width += charWidth(ch.codePointAt(0) ?? 0);
  return width;
}

/** Draws `head` and `rows` (cells already strings; a cell may hold several lines). */
export function drawTable(head: string[], rows: string[][]): string {
  const all = [head, ...rows].map((r) => head.map((_, i) => (r[i] ?? '').replace(/\t/g, '  ').split(/\r?\n/)));
  const widths = head.map((_, i) => Math.max(...all.map((r) => Math.max(...r[i]!.map(displayWidth)))));
  const rule = (left: string, mid: string, right: string) => `${left}${widths.map((w) => '─'.repeat(w + 2)).join(mid)}${right}`;
  const lines = [rule('┌', '┬', '┐')];
  for (const row of all) {
    const height = Math.max(...row.map((cell) => cell.length));
    for (let l = 0; l < height; l += 1) lines.push(`│${row.map((cell, i) => ` ${cell[l] ?? ''}${' '.repeat(widths[i]! - displayWidth(cell[l] ?? ''))} `).join('│')}│`);
  }
  lines.push(rule('└', '┴', '┘'));
  return lines.join('\n');
}
