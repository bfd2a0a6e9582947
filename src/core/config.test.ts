import { describe, expect, it } from 'vitest';
import { applyLayerChange, assertKey, assertValue, configLimits, parseAssignments, resolveConfig } from './config.js';

describe('config overlays', () => {
  it('resolves the environment layer over the base and names each layer', () => {
    expect(resolveConfig({ LOG_LEVEL: 'info', A: '1' }, { LOG_LEVEL: 'warn', B: '2' })).toEqual([
      { key: 'A', value: '1', layer: 'base' },
      { key: 'B', value: '2', layer: 'environment' },
      { key: 'LOG_LEVEL', value: 'warn', layer: 'environment' },
    ]);
  });

  it('applies sets and unsets and reports whether anything changed', () => {
    const r = applyLayerChange({ A: '1', B: '2' }, { set: { C: '3', A: '1' }, unset: ['B'] });
    expect(r).toEqual({ layer: { A: '1', C: '3' }, changed: true });
    expect(applyLayerChange({ A: '1' }, { set: { A: '1' }, unset: ['Z'] }).changed).toBe(false);
  });

  it('refuses keys that cannot be environment variables', () => {
    for (const key of ['1A', 'A-B', 'A B', '', 'É', '__proto__', 'constructor']) expect(() => assertKey('config', key)).toThrow(expect.objectContaining({ code: 'SLW_INVALID_KEY' }));
    expect(assertKey('secret', '_PRIVATE_1')).toBe('_PRIVATE_1');
  });

  it('refuses oversized values', () => {
    expect(() => applyLayerChange({}, { set: { BIG: 'x'.repeat(configLimits.valueBytes + 1) }, unset: [] })).toThrow(/larger than/);
  });

  it('refuses NUL and control characters other than tab, newline and carriage return in values', () => {
    for (const value of ['\u0000', 'a\u0000', '\u0001', '\u0008', '\u000b', '\u000c', '\u000e', '\u001b[0m', '\u001f']) {
      expect(() => assertValue('config', 'A', value)).toThrow(expect.objectContaining({ code: 'SLW_INVALID_VALUE' }));
      expect(() => applyLayerChange({}, { set: { A: value }, unset: [] })).toThrow(expect.objectContaining({ code: 'SLW_INVALID_VALUE' }));
    }
    expect(() => assertValue('secret', 'TOKEN', 'x\u0000y')).toThrow('secret value of TOKEN holds a NUL character (U+0000) at position 1');
    for (const value of ['', 'tab\there', 'lines\nand\r\n', 'unicode é ✓ \u007f \u0085']) expect(assertValue('config', 'A', value)).toBe(value);
  });

  it('parses KEY=VALUE with = in the value', () => {
    expect(parseAssignments(['JAVA_OPTS=-Xmx512m -Da=b', 'EMPTY='])).toEqual({ JAVA_OPTS: '-Xmx512m -Da=b', EMPTY: '' });
    expect(() => parseAssignments(['NOVALUE'])).toThrow(expect.objectContaining({ code: 'SLW_USAGE' }));
    expect(() => parseAssignments(['=x'])).toThrow(expect.objectContaining({ code: 'SLW_USAGE' }));
  });
});
