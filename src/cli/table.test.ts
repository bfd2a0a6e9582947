import { createRequire } from 'node:module';
import type TableType from 'cli-table3';
import { describe, expect, it } from 'vitest';
import { displayWidth, drawTable } from './table.js';

/** What the CLI printed with cli-table3 before (same options as output.ts had). */
function cliTable3(head: string[], rows: string[][]): string {
  const Table = createRequire(import.meta.url)('cli-table3') as typeof TableType;
  const t = new Table({ head, style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } });
  for (const r of rows) t.push(r);
  return t.toString();
}

describe('drawTable', () => {
  it.each([
    [['KEY', 'VALUE', 'LAYER'], [['A', '1', 'base'], ['LONGER_KEY', 'x y', 'environment dev'], ['N', '—', '—']]],
    [['ENV', 'RELEASE'], [['dev', '#1'], ['prod', '—']]],
    [['NAME', 'NOTE'], [['multi', 'line one\nline two'], ['wide', '日本語 ok'], ['colour', '\u001b[1mbold\u001b[22m']]],
    [['ONE'], [['']]],
  ])('draws what cli-table3 drew: %j', (head, rows) => {
    expect(drawTable(head, rows)).toBe(cliTable3(head, rows));
  });

  it('measures terminal width without colour codes, wide characters as two', () => {
    expect(displayWidth('\u001b[2mabc\u001b[22m')).toBe(3);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('—')).toBe(1);
  });
});
