import { describe, expect, it } from 'vitest';
import { parseRuntime } from '../../core/runtimes.js';
import { mainClassOf } from './detect.js';
import { isDependency, shellEntrypoint } from './node.js';

describe('runtimes', () => {
  it('reads Main-Class, with continuation lines and any case', () => {
    expect(mainClassOf('Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.launch.JarLaun\r\n cher\r\n\r\n')).toBe('org.springframework.boot.loader.launch.JarLauncher');
    expect(mainClassOf('main-class: a.B\n')).toBe('a.B');
    expect(mainClassOf('Manifest-Version: 1.0\n')).toBeUndefined();
  });

  it('knows only java, static and node', () => {
    expect(parseRuntime('node')).toBe('node');
    expect(() => parseRuntime('Node')).toThrow(/pass --runtime java\|static\|node/);
  });

  it('execs the start command, keeping assignments and leaving compound commands alone', () => {
    expect(shellEntrypoint('node index.js')).toEqual(['/bin/sh', '-c', 'exec node index.js']);
    expect(shellEntrypoint('NODE_ENV=production PORT="80 80" node x')).toEqual(['/bin/sh', '-c', 'NODE_ENV=production PORT="80 80" exec node x']);
    expect(shellEntrypoint('npm run migrate && node x')).toEqual(['/bin/sh', '-c', 'npm run migrate && node x']);
    expect(shellEntrypoint('exec node x')).toEqual(['/bin/sh', '-c', 'exec node x']);
  });

  it('puts package files and node_modules in the dependency layer', () => {
    expect(['package.json', 'package-lock.json', 'node_modules', 'node_modules/a/b.js'].every(isDependency)).toBe(true);
    expect(['index.js', 'src/package.json', 'node_modules_old/x'].some(isDependency)).toBe(false);
  });
});
