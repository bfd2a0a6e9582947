/**
 * `slipway login` and named contexts through the real executable against a real server, with
 * HOME and XDG_CONFIG_HOME in a temp dir: the config file's modes, the precedence of flags over
 * SLIPWAY_* over the current context over the defaults, a context's token going only to its own
 * server, and no command ever printing a token.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, cli, startServerProcess, tempDir, type CliResult, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
let developerToken: string;
let home: string;
let configFile: string;
const outputs: CliResult[] = [];
/** A server that records the Authorization headers it receives (and answers 401). */
let recorder: Server;
let recorderUrl: string;
const seenAuth: string[] = [];

beforeAll(async () => {
  server = await startServerProcess();
  const admin = { server: server.url, token: server.adminToken };
  expect((await cli(['workspace', 'create', 'acme', '--tier', 'high'], admin)).code).toBe(0);
  const created = await cli(['--json', 'token', 'create', '-w', 'acme', '--role', 'developer', '--name', 'dev'], admin);
  developerToken = created.json<{ token: string }>().token;
  recorder = createServer((req, res) => {
    seenAuth.push(req.headers.authorization ?? '');
    res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'SLW_UNAUTHENTICATED', message: 'no' } }));
  });
  await new Promise<void>((done) => recorder.listen(0, '127.0.0.1', done));
  recorderUrl = `http://127.0.0.1:${(recorder.address() as { port: number }).port}`;
});
afterAll(async () => {
  await server?.stop();
  await new Promise((done) => recorder?.close(done));
  await cleanup();
});

/** Runs slipway as a user whose HOME is the temp dir, with no SLIPWAY_* variables unless given. */
async function run(args: string[], o: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const r = await cli(args, { input: o.input, env: { HOME: home, XDG_CONFIG_HOME: join(home, 'xdg'), ...o.env } });
  outputs.push(r);
  return r;
}

async function ok<T = Record<string, unknown>>(args: string[], o: { input?: string; env?: Record<string, string> } = {}): Promise<T> {
  const r = await run(['--json', ...args], o);
  expect(r.code, `slipway ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.json<T>();
}

interface Me {
  user: { email: string };
  token: { id: string; scope: string };
}
interface Shown {
  context: string | null;
  server: string;
  serverFrom: string;
  token: string;
  tokenFrom: string;
}

describe('slipway login and contexts', () => {
  beforeAll(() => {
    home = tempDir('slipway-home-');
    configFile = join(home, 'xdg', 'slipway', 'config.json');
  });

  it('refuses a token the server does not accept, and saves nothing', async () => {
    const r = await run(['login', '--server', server.url], { input: 'slw_not_a_token\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error SLW_UNAUTHENTICATED/);
    expect(existsSync(configFile)).toBe(false);
  });

  it('login reads the token from stdin, checks it, saves it 0600 in a 0700 dir, and never prints it', async () => {
    const r = await ok<{ context: { name: string; server: string; user: string; current: boolean }; file: string }>(['login', '--server', server.url], { input: `${server.adminToken}\n` });
    expect(r.context).toEqual({ name: new URL(server.url).host, server: server.url, user: 'admin@slipway.local', current: true });
    expect(r.file).toBe(configFile);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'xdg', 'slipway')).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(readFileSync(configFile, 'utf8')) as { current: string; contexts: Record<string, { token: string }> };
    expect(saved.contexts[saved.current]?.token).toBe(server.adminToken);
    const human = await run(['login', '--server', server.url], { input: server.adminToken });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`logged in to ${server.url} as admin@slipway.local`);
  });

  it('a command with no flags and no variables uses the current context', async () => {
    const me = await ok<Me>(['whoami']);
    expect(me.token.scope).toBe('instance');
  });

  it('flags > SLIPWAY_* > current context > defaults', async () => {
    const dev = await ok<Me>(['whoami'], { env: { SLIPWAY_TOKEN: developerToken } });
    expect(dev.token.scope).toBe('workspace');
    const flag = await ok<Me>(['whoami', '--token', server.adminToken], { env: { SLIPWAY_TOKEN: developerToken } });
    expect(flag.token.scope).toBe('instance');
    // --server beats SLIPWAY_SERVER; the context's token goes with it since it is that context's server.
    const flagServer = await ok<Me>(['--server', server.url, 'whoami'], { env: { SLIPWAY_SERVER: 'http://127.0.0.1:9' } });
    expect(flagServer.token.scope).toBe('instance');
    const shown = await ok<Shown>(['context', 'show'], { env: { SLIPWAY_SERVER: server.url } });
    expect(shown).toMatchObject({ server: server.url, serverFrom: 'env', token: 'set', tokenFrom: 'context' });
    const none = await ok<Shown>(['context', 'show'], { env: { XDG_CONFIG_HOME: join(home, 'elsewhere') } });
    expect(none).toMatchObject({ context: null, server: 'http://127.0.0.1:7070', serverFrom: 'default', token: 'none', tokenFrom: 'none' });
  });

  it("a context's token is never sent to another server", async () => {
    const r = await run(['whoami'], { env: { SLIPWAY_SERVER: recorderUrl } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no API token for ${recorderUrl}`);
    const shown = await ok<Shown>(['context', 'show'], { env: { SLIPWAY_SERVER: recorderUrl } });
    expect(shown).toMatchObject({ server: recorderUrl, serverFrom: 'env', token: 'none' });
    expect(seenAuth).toEqual([]);
  });

  it('named contexts: a second login, list, use, --context, remove, logout', async () => {
    const second = await ok<{ context: { name: string; user: string } }>(['login', '--server', server.url, '--name', 'dev'], { input: developerToken });
    expect(second.context.name).toBe('dev');
    const list = await ok<{ current: string; contexts: Array<{ name: string; server: string; current: boolean }> }>(['context', 'list']);
    expect(list.current).toBe('dev');
    expect(list.contexts.map((c) => [c.name, c.current])).toEqual([
      [new URL(server.url).host, false],
      ['dev', true],
    ]);
    expect((await ok<Me>(['whoami'])).token.scope).toBe('workspace');
    expect((await ok<Me>(['--context', new URL(server.url).host, 'whoami'])).token.scope).toBe('instance');
    // --context is a flag: it beats SLIPWAY_TOKEN.
    expect((await ok<Me>(['--context', new URL(server.url).host, 'whoami'], { env: { SLIPWAY_TOKEN: developerToken } })).token.scope).toBe('instance');
    await ok(['context', 'use', new URL(server.url).host]);
    expect((await ok<Me>(['whoami'])).token.scope).toBe('instance');
    const unknown = await run(['context', 'use', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error SLW_USAGE: no context named 'nope'/);
    expect(await ok(['context', 'remove', 'dev'])).toEqual({ removed: 'dev', current: new URL(server.url).host });
    expect(await ok(['logout'])).toEqual({ removed: new URL(server.url).host, current: null });
    const after = await run(['whoami']);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('no API token for http://127.0.0.1:7070: run `slipway login');
    const human = await run(['context', 'list']);
    expect(human.stdout).toContain('(none)');
  });

  it('a config file readable by others is set back to 0600 with a warning', async () => {
    await ok(['login', '--server', server.url], { input: server.adminToken });
    chmodSync(configFile, 0o644);
    chmodSync(join(home, 'xdg', 'slipway'), 0o755);
    const r = await run(['--json', 'whoami']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: the CLI config ${configFile} was accessible to other users (mode 0644); set it to 0600`);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'xdg', 'slipway')).mode & 0o777).toBe(0o700);
  });

  it('a broken config file gives one clear line, not a stack', async () => {
    writeFileSync(configFile, '{ not json', { mode: 0o600 });
    const r = await run(['whoami']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error SLW_USAGE: the CLI config ${configFile} is not valid JSON: fix it, or remove it and run slipway login again\n`);
  });

  it('no command printed a token', () => {
    expect(outputs.length).toBeGreaterThan(15);
    for (const r of outputs) {
      for (const token of [server.adminToken, developerToken]) {
        expect(r.stdout).not.toContain(token);
        expect(r.stderr).not.toContain(token);
      }
    }
  });
});
