/**
 * `slipway env set` puts an environment's domain, memory and CPU limits and approval back to their defaults
 * (bin/slipway against a real `slipway server`, no Docker): `--domain default`, `--memory
 * unlimited` and `--cpus unlimited` send null, `env show --json` then gives the default domain and
 * no limits, the table says so, and the custom domain is free for another environment;
 * `--require-approval default` gives approval back to prod's default (or none elsewhere); text that
 * is none of these is refused with SLW_VALIDATION or SLW_USAGE and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentSettingsView, SettingsChanged } from '../../src/api/settings.js';
import { cleanup, cli, startServerProcess, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
const dev = ['-w', 'acme', '-p', 'shop', '-e', 'dev'];
const run = (args: string[]) => cli(args, { server: server.url, token: server.adminToken });
const show = async () => {
  const r = await run(['env', 'show', ...dev, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.json<EnvironmentSettingsView>();
};

beforeAll(async () => {
  server = await startServerProcess();
  expect((await run(['workspace', 'create', 'acme', '--tier', 'high'])).code).toBe(0);
  expect((await run(['project', 'create', 'shop', '-w', 'acme'])).code).toBe(0);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await cleanup();
});

describe('env set back to the defaults', () => {
  it('sets a domain, memory and CPUs, then --domain default, --memory unlimited and --cpus unlimited reset them', async () => {
    const set = await run(['env', 'set', ...dev, '--domain', 'shop.example.com', '--memory', '512m', '--cpus', '0.5', '--port', '9090', '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.json<SettingsChanged>()).toMatchObject({ domain: 'shop.example.com', memoryBytes: 512 * 1024 ** 2, nanoCpus: 500_000_000, port: 9090 });
    expect(await show()).toMatchObject({ domain: 'shop.example.com', memoryBytes: 512 * 1024 ** 2, nanoCpus: 500_000_000 });
    expect((await run(['env', 'show', ...dev])).stdout).toMatch(/domain\s+│\s+shop\.example\.com\s+│/);

    const reset = await run(['env', 'set', ...dev, '--domain', 'default', '--memory', 'unlimited', '--cpus', 'unlimited', '--json']);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.json<SettingsChanged>()).toMatchObject({ domain: 'dev.shop.acme.localhost', memoryBytes: null, nanoCpus: null, port: 9090 });
    const shown = await show();
    expect({ domain: shown.domain, memoryBytes: shown.memoryBytes, nanoCpus: shown.nanoCpus, port: shown.port }).toEqual({ domain: 'dev.shop.acme.localhost', memoryBytes: null, nanoCpus: null, port: 9090 });
    const table = (await run(['env', 'show', ...dev])).stdout;
    expect(table).toMatch(/domain\s+│\s+dev\.shop\.acme\.localhost \(default\)/);
    expect(table).toMatch(/memory\s+│\s+unlimited/);
    expect(table).toMatch(/cpus\s+│\s+unlimited/);
    // The custom domain was let go: another environment takes it.
    const staging = await run(['env', 'set', '-w', 'acme', '-p', 'shop', '-e', 'staging', '--domain', 'shop.example.com', '--json']);
    expect(staging.code, staging.stderr).toBe(0);
    expect(staging.json<SettingsChanged>().domain).toBe('shop.example.com');
    // Resetting what is already the default is no error.
    expect((await run(['env', 'set', ...dev, '--memory', 'unlimited', '--json'])).code).toBe(0);
  }, 60_000);

  it('--require-approval default gives approval back to its default: prod requires it, dev not', async () => {
    const prod = ['-w', 'acme', '-p', 'shop', '-e', 'prod'];
    const approval = async (env: string[]) => {
      const v = (await run(['env', 'show', ...env, '--json'])).json<EnvironmentSettingsView>();
      return { requireApproval: v.requireApproval, source: v.gates?.source.approval };
    };
    expect(await approval(prod)).toEqual({ requireApproval: true, source: 'default' });
    expect((await run(['env', 'set', ...prod, '--no-require-approval', '--json'])).code).toBe(0);
    expect(await approval(prod)).toEqual({ requireApproval: false, source: 'environment' });
    expect((await run(['env', 'set', ...prod, '--require-approval', 'default', '--json'])).code).toBe(0);
    expect(await approval(prod)).toEqual({ requireApproval: true, source: 'default' });
    expect((await run(['env', 'set', ...dev, '--require-approval', '--json'])).code).toBe(0);
    expect(await approval(dev)).toEqual({ requireApproval: true, source: 'environment' });
    expect((await run(['env', 'set', ...dev, '--require-approval', 'default'])).code).toBe(0);
    expect(await approval(dev)).toEqual({ requireApproval: false, source: 'default' });
  }, 60_000);

  it('refuses a value that is none of these with SLW_VALIDATION or SLW_USAGE, saying what to give, and changes nothing', async () => {
    expect((await run(['env', 'set', ...dev, '--memory', '1g', '--json'])).code).toBe(0);
    const cases: Array<[string[], string, RegExp]> = [
      [['--memory', 'none'], 'SLW_VALIDATION', /memory 'none' is not a size like 512m or 1g; or give unlimited to remove the limit/],
      [['--cpus', 'all'], 'SLW_VALIDATION', /cpus 'all' is not a positive number like 0\.5 or 2; or give unlimited to remove the limit/],
      [['--domain', ''], 'SLW_USAGE', /--domain needs a domain name like shop\.example\.com, or default to go back to dev\.shop\.acme\.localhost/],
      [['--require-approval', 'maybe'], 'SLW_USAGE', /--require-approval takes no value, or default to go back to the default approval \(got 'maybe'\)/],
    ];
    for (const [args, code, message] of cases) {
      const r = await run(['env', 'set', ...dev, ...args, '--json']);
      expect(r.code, r.stdout).toBe(1);
      const error = r.json<{ error: { code: string; message: string } }>().error;
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      const plain = await run(['env', 'set', ...dev, ...args]);
      expect(plain.stderr.startsWith(`error ${code}: `), plain.stderr).toBe(true);
    }
    expect((await show()).memoryBytes).toBe(1024 ** 3);
    const help = await run(['env', 'set', '--help']);
    expect(help.stdout).toContain('--domain default');
    expect(help.stdout).toContain('--memory unlimited');
    expect(help.stdout).toContain('--cpus unlimited');
    expect(help.stdout).toContain('--require-approval default');
  }, 60_000);
});
