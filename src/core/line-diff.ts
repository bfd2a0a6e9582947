/**
 * A line diff of two texts for a reviewer: the lines only in the first (`-`), only in the second
 * (`+`), and up to `context` unchanged lines around each change (` `), with `…` where unchanged
 * lines are left out. A longest common subsequence over the lines, trimmed of the common head and
 * tail first; past `maxCells` (two very different large texts) every line of each is listed as
 * removed and added rather than spending seconds on it.
 *
 * @module
 */

export interface DiffLine {
  op: ' ' | '-' | '+' | '…';
  text: string;
}

const split = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

/** The full edit script of `a` into `b`, line by line. */
function script(a: string[], b: string[], maxCells: number): DiffLine[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  const same = (lines: string[]) => lines.map((text): DiffLine => ({ op: ' ', text }));
  let middle: DiffLine[];
  if (x.length * y.length > maxCells) {
    middle = [...x.map((text): DiffLine => ({ op: '-', text })), ...y.map((text): DiffLine => ({ op: '+', text }))];
  } else {
    // lcs[i][j]: the length of the longest common subsequence of x[i..] and y[j..].
    const lcs = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
    for (let i = x.length - 1; i >= 0; i--) {
      for (let j = y.length - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
    middle = [];
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      if (i < x.length && j < y.length && x[i] === y[j]) {
        middle.push({ op: ' ', text: x[i]! });
        i++;
        j++;
      } else if (i < x.length && (j === y.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
        middle.push({ op: '-', text: x[i]! });
        i++;
      } else {
        middle.push({ op: '+', text: y[j]! });
        j++;
      }
    }
  }
  return [...same(a.slice(0, head)), ...middle, ...same(a.slice(a.length - tail))];
}

/** The changes from `before` to `after` with `context` unchanged lines around each; empty when the texts are equal. */
export function lineDiff(before: string, after: string, context = 3, maxCells = 4_000_000): DiffLine[] {
  const all = script(split(before), split(after), maxCells);
  const changed = all.map((l, i) => (l.op === ' ' ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return [];
  const keep = new Set<number>();
  for (const i of changed) for (let k = Math.max(0, i - context); k <= Math.min(all.length - 1, i + context); k++) keep.add(k);
  const out: DiffLine[] = [];
  for (let i = 0; i < all.length; i++) {
    if (keep.has(i)) out.push(all[i]!);
    else if (out.length === 0 || out[out.length - 1]!.op !== '…') out.push({ op: '…', text: '' });
  }
  return out;
}

/** The diff as text: one line each, `-`, `+` or a space before it, `…` for the lines left out. */
export function renderDiff(lines: DiffLine[]): string {
  return lines.map((l) => (l.op === '…' ? '…' : `${l.op} ${l.text}`)).join('\n');
}
