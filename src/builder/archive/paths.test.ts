import { describe, expect, it } from 'vitest';
import { ancestorsOf, normaliseEntryPath, resolveSymlink } from './paths.js';

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('entry paths', () => {
  it('normalises names', () => {
    expect(normaliseEntryPath('./a//b/./c/')).toBe('a/b/c');
    expect(normaliseEntryPath('./')).toBe('');
    expect(normaliseEntryPath('a..b/..c')).toBe('a..b/..c');
  });

  it('refuses absolute paths, .. components and NUL', () => {
    expect(code(() => normaliseEntryPath('/etc/passwd'))).toBe('SLW_ARTIFACT_UNSAFE_PATH');
    expect(code(() => normaliseEntryPath('a/../../b'))).toBe('SLW_ARTIFACT_UNSAFE_PATH');
    expect(code(() => normaliseEntryPath('a/..'))).toBe('SLW_ARTIFACT_UNSAFE_PATH');
    expect(code(() => normaliseEntryPath('C:\\x'))).toBe('SLW_ARTIFACT_UNSAFE_PATH');
    expect(code(() => normaliseEntryPath('a\0b'))).toBe('SLW_ARTIFACT_UNSAFE_PATH');
    expect(() => normaliseEntryPath('../x')).toThrow(/"\.\.\/x" has a '\.\.' component/);
  });

  it('lists ancestors outermost first', () => {
    expect(ancestorsOf('a/b/c')).toEqual(['a', 'a/b']);
    expect(ancestorsOf('a')).toEqual([]);
  });

  it('resolves symlinks through other symlinks, the way the kernel would', () => {
    const none = new Map<string, string>();
    expect(resolveSymlink('a/b/l', '../c', none)).toBe('a/c');
    expect(resolveSymlink('l', '.', none)).toBe('');
    expect(resolveSymlink('l', '..', none)).toBeUndefined();
    expect(resolveSymlink('a/l', '/etc/passwd', none)).toBeUndefined();
    // Lexically `sub/up/../..` is the root, but `up` is `..`, so it really is one level above.
    const links = new Map([['sub/up', '..']]);
    expect(resolveSymlink('sub/evil', 'up/../..', links)).toBeUndefined();
    expect(resolveSymlink('sub/ok', 'up/x', links)).toBe('x');
    // Loops fail instead of hanging.
    const loop = new Map([
      ['a', 'b'],
      ['b', 'a'],
    ]);
    expect(resolveSymlink('c', 'a', loop)).toBeUndefined();
  });
});
