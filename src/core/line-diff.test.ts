import { describe, expect, it } from 'vitest';
import { lineDiff, renderDiff } from './line-diff.js';

describe('lineDiff', () => {
  it('is empty for equal texts, and marks a changed line with its context', () => {
    expect(lineDiff('a\nb\n', 'a\nb\n')).toEqual([]);
    const before = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'].join('\n');
    const after = before.replace('five', 'FIVE');
    expect(renderDiff(lineDiff(before, after, 2))).toBe(['…', '  three', '  four', '- five', '+ FIVE', '  six', '  seven', '…'].join('\n'));
  });

  it('lists added and removed lines in order, the whole text when it was empty', () => {
    expect(renderDiff(lineDiff('', 'x\ny\n'))).toBe('+ x\n+ y');
    expect(renderDiff(lineDiff('x\ny\n', ''))).toBe('- x\n- y');
    expect(renderDiff(lineDiff('a\nb\nc\n', 'a\nc\nd\n'))).toBe('  a\n- b\n  c\n+ d');
  });

  it('past the size bound, says every differing line as removed and added', () => {
    const a = 'h\n1\n2\n3\nt';
    const b = 'h\n3\n2\n1\nt';
    expect(renderDiff(lineDiff(a, b, 3, 1))).toBe('  h\n- 1\n- 2\n- 3\n+ 3\n+ 2\n+ 1\n  t');
    // Within the bound, one of them is kept as common (the longest common subsequence has one line).
    expect(renderDiff(lineDiff(a, b)).split('\n').filter((l) => /^ {2}[123]$/.test(l))).toHaveLength(1);
  });
});
