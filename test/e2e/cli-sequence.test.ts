/**
 * The CLI sequence through the real executable, with --json, on the embedded store and
 * on PostgreSQL: tiers and their environments, custom environments, config overlays with their
 * layers, and write-only secrets. Every --json output must be exactly one JSON document, and
 * every error without --json exactly one line on stderr.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { cleanup, cli, startServerProcess, type CliResult, type ServerProcess } from '../support/server-process.js';

interface Env {
  name: string;
  kind: string;
  deletable: boolean;
}
interface Entry {
  key: string;
  value: string;
  layer: string;
}

describe.each(['sqlite', 'postgres'] as const)('CLI sequence on %s', (engine) => {
  let server: ServerProcess;
  let database: TestDatabase | undefined;
  const outputs: CliResult[] = [];
  const secretValue = `pw-${randomBytes(16).toString('hex')}`;

  beforeAll(async () => {
    if (engine === 'postgres') database = await createTestDatabase();
    server = await startServerProcess({ args: database ? ['--database-url', database.url] : [] });
  });
  afterAll(async () => {
    await server?.stop();
    await cleanup();
    await database?.drop();
  });

  /** Runs a command and keeps its output for the leak check at the end. */
  async function run(args: string[], input?: string): Promise<CliResult> {
    const r = await cli(args, { server: server.url, token: server.adminToken, input });
    outputs.push(r);
    return r;
  }

  /** Runs a command with --json and checks it succeeded with exactly one JSON document. */
  async function runJson<T>(args: string[], input?: string): Promise<T> {
    const r = await run(['--json', ...args], input);
    expect(r.stderr, `slipway ${args.join(' ')}`).toBe('');
    expect(r.code, `slipway ${args.join(' ')}`).toBe(0);
    return r.json<T>();
  }

  /** Runs a failing command without --json: exit 1, nothing on stdout, one `error SLW_` line. */
  async function runFailing(args: string[]): Promise<string> {
    const r = await run(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(1);
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(lines[0]).toMatch(/^error SLW_[A-Z_]+: \S/);
    return lines[0] as string;
  }

  const envNames = async (ws: string, p: string) => (await runJson<{ environments: Env[] }>(['env', 'list', '-w', ws, '-p', p])).environments.map((e) => e.name);

  it('a high workspace gives a new project dev, staging and prod, and allows a custom qa', async () => {
    const ws = await runJson<{ name: string; tier: string; role: string }>(['workspace', 'create', 'acme', '--tier', 'high']);
    expect(ws).toMatchObject({ name: 'acme', tier: 'high', role: 'owner' });
    const project = await runJson<{ name: string; environments: string[] }>(['project', 'create', 'shop', '-w', 'acme']);
    expect(project.environments).toEqual(['dev', 'staging', 'prod']);
    expect(await envNames('acme', 'shop')).toEqual(['dev', 'staging', 'prod']);

    const qa = await runJson<Env>(['env', 'create', 'qa', '-w', 'acme', '-p', 'shop']);
    expect(qa).toMatchObject({ name: 'qa', kind: 'custom', deletable: true });
    expect(await envNames('acme', 'shop')).toEqual(['dev', 'staging', 'prod', 'qa']);
    // The table says which the tier lets go.
    const table = await run(['env', 'list', '-w', 'acme', '-p', 'shop']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/│ NAME +│ KIND +│ DELETABLE +│ CREATED +│/);
    expect(table.stdout).toMatch(/│ prod +│ standard +│ no \(tier default\) +│/);
    expect(table.stdout).toMatch(/│ qa +│ custom +│ yes +│/);
  });

  it('a low workspace project has only prod, and a custom qa is refused with a clear code', async () => {
    await runJson(['workspace', 'create', 'corner', '--tier', 'low']);
    const project = await runJson<{ environments: string[] }>(['project', 'create', 'site', '-w', 'corner']);
    expect(project.environments).toEqual(['prod']);

    const r = await run(['--json', 'env', 'create', 'qa', '-w', 'corner', '-p', 'site']);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error SLW_TIER_NO_CUSTOM_ENVIRONMENTS: .*high/);
    expect(r.json<{ error: { code: string; message: string } }>().error.code).toBe('SLW_TIER_NO_CUSTOM_ENVIRONMENTS');

    expect(await runFailing(['env', 'create', 'qa', '-w', 'corner', '-p', 'site'])).toMatch(/^error SLW_TIER_NO_CUSTOM_ENVIRONMENTS: /);
    expect(await envNames('corner', 'site')).toEqual(['prod']);
  });

  it('config get shows each value with the layer it comes from', async () => {
    const base = await runJson<{ changed: boolean; version: number }>(['config', 'set', 'LOG_LEVEL=info', '-w', 'acme', '-p', 'shop']);
    expect(base.changed).toBe(true);
    const prod = await runJson<{ changed: boolean; version: number }>(['config', 'set', 'LOG_LEVEL=warn', '-w', 'acme', '-p', 'shop', '-e', 'prod']);
    expect(prod.version).toBeGreaterThan(base.version);

    const prodView = await runJson<{ entries: Entry[] }>(['config', 'get', '-w', 'acme', '-p', 'shop', '-e', 'prod']);
    expect(prodView.entries).toEqual([{ key: 'LOG_LEVEL', value: 'warn', layer: 'environment' }]);
    const devView = await runJson<{ entries: Entry[] }>(['config', 'get', '-w', 'acme', '-p', 'shop', '-e', 'dev']);
    expect(devView.entries).toEqual([{ key: 'LOG_LEVEL', value: 'info', layer: 'base' }]);

    const human = await run(['config', 'get', '-w', 'acme', '-p', 'shop', '-e', 'prod']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/LOG_LEVEL\s.*warn\s.*environment/);
  });

  it('secret set reads the value from stdin; secret list shows the name and a version only', async () => {
    const set = await runJson<{ name: string; version: number }>(['secret', 'set', 'DB_PASSWORD', '-w', 'acme', '-p', 'shop', '-e', 'prod'], `${secretValue}\n`);
    expect(set).toMatchObject({ name: 'DB_PASSWORD', version: 1 });
    const again = await run(['secret', 'set', 'DB_PASSWORD', '-w', 'acme', '-p', 'shop', '-e', 'prod'], secretValue);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('version 2');

    const list = await runJson<{ secrets: Array<Record<string, unknown>> }>(['secret', 'list', '-w', 'acme', '-p', 'shop', '-e', 'prod']);
    expect(list.secrets).toHaveLength(1);
    expect(list.secrets[0]).toMatchObject({ name: 'DB_PASSWORD', version: 2, layer: 'environment' });
    expect(Object.keys(list.secrets[0] ?? {}).sort()).toEqual(['layer', 'name', 'updatedAt', 'updatedBy', 'version']);
    const human = await run(['secret', 'list', '-w', 'acme', '-p', 'shop', '-e', 'prod']);
    expect(human.stdout).toMatch(/DB_PASSWORD\s.*2\s/);
  });

  it('the other commands of the issue answer one JSON document each', async () => {
    const list = await runJson<{ workspaces: Array<{ name: string; tier: string }> }>(['workspace', 'list']);
    expect(list.workspaces.map((w) => `${w.name}:${w.tier}`)).toEqual(['acme:high', 'corner:low']);
    const token = await runJson<{ token: string; role: string }>(['token', 'create', '-w', 'acme', '--role', 'viewer']);
    expect(token.role).toBe('viewer');
    expect(token.token).toMatch(/^slw_/);
    expect(await runJson(['releases', '-w', 'acme', '-p', 'shop', '-e', 'prod'])).toEqual({ releases: [] });
    const audit = await runJson<{ events: Array<{ action: string }> }>(['audit', '-w', 'acme']);
    expect(audit.events.map((e) => e.action)).toEqual(expect.arrayContaining(['workspace.create', 'project.create', 'environment.create', 'config.change', 'secret.set', 'token.create']));
  });

  it('errors without --json are one line on stderr, starting with error SLW_', async () => {
    const cases: Array<[string[], string]> = [
      [['env', 'create', 'Bad_Name', '-w', 'acme', '-p', 'shop'], 'SLW_INVALID_NAME'],
      [['project', 'create', 'other', '-w', 'nowhere'], 'SLW_NOT_FOUND'],
      [['workspace', 'create', 'acme', '--tier', 'high'], 'SLW_ALREADY_EXISTS'],
      [['workspace', 'create', 'gold', '--tier', 'platinum'], 'SLW_UNKNOWN_TIER'],
      [['env', 'list', '-w', 'acme'], 'SLW_USAGE'],
      [['config', 'set', 'NOEQUALS', '-w', 'acme', '-p', 'shop'], 'SLW_USAGE'],
      [['no-such-command'], 'SLW_USAGE'],
    ];
    // Independent commands: run them side by side (each is a separate process).
    const lines = await Promise.all(cases.map(([args]) => runFailing(args)));
    lines.forEach((line, i) => expect(line.startsWith(`error ${cases[i]?.[1]}: `), line).toBe(true));
    const json = await run(['--json', 'env', 'list', '-w', 'acme', '-p', 'nope']);
    expect(json.code).toBe(1);
    expect(json.json<{ error: { code: string } }>().error.code).toBe('SLW_NOT_FOUND');
  });

  it('the secret value appears in no output of any command', () => {
    expect(outputs.length).toBeGreaterThan(20);
    for (const r of outputs) {
      expect(r.stdout).not.toContain(secretValue);
      expect(r.stderr).not.toContain(secretValue);
    }
    expect(server.logs()).not.toContain(secretValue);
  });
});
