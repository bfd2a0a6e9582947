import { describe, expect, it } from 'vitest';
import { buildProgram, commandName, localFileError } from './main.js';

const io = { out: () => undefined, err: () => undefined };

describe('which command group to load', () => {
  it('finds the command after global options and their values', () => {
    expect(commandName(['whoami'])).toBe('whoami');
    expect(commandName(['--json', '--server', 'http://x', '--token', 't', '--context', 'c', 'status', '-w', 'a'])).toBe('status');
    expect(commandName(['--server=http://x', 'config', 'get'])).toBe('config');
    expect(commandName(['--help'])).toBeUndefined();
    expect(commandName([])).toBeUndefined();
  });

  it('registers only the named group, and every group for help or an unknown command', async () => {
    const names = async (args: string[]) => (await buildProgram(io, args)).commands.map((c) => c.name()).sort();
    expect(await names(['whoami'])).toEqual(['version', 'whoami', 'workspace']);
    expect(await names(['deploy', '-e', 'dev'])).toEqual(['approve', 'deploy', 'logs', 'promote', 'reject', 'rollback', 'scale', 'status', 'version']);
    const all = await names(['--help']);
    expect(all).toEqual(await names(['no-such-command']));
    for (const c of ['server', 'login', 'logout', 'context', 'member', 'token', 'project', 'env', 'config', 'secret', 'releases', 'audit', 'images', 'registry', 'registry-credential', 'build', 'import', 'deploy', 'scale', 'status', 'proxy', 'admin']) expect(all).toContain(c);
  });
});

describe('a local file error', () => {
  it('is a usage error with the path and the reason, not an internal error', async () => {
    const { readFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await readFile(tmpdir()).catch((e: unknown) => e);
    const err = localFileError(dir);
    expect(err?.code).toBe('SLW_USAGE');
    expect(err?.message).toBe('cannot read a local file: illegal operation on a directory (EISDIR); check the path and its permissions');
    const missing = localFileError(await readFile('/nonexistent/x.jar').catch((e: unknown) => e));
    expect(missing?.message).toBe('cannot open /nonexistent/x.jar: no such file or directory (ENOENT); check the path and its permissions');
    expect(localFileError(new Error('boom'))).toBeUndefined();
  });
});
