/**
 * Secret values are write-only and encrypted at rest: random values set through the CLI (stdin)
 * and the API are found nowhere — not in the SQLite file or its WAL, not in the server's logs
 * (at trace level), not in any GET answer of the workspace, not in any CLI output — neither as
 * is nor base64- or hex-encoded. A config value set the same way is found in those places, which
 * proves the search looks where the data is.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, ok, type Api } from '../support/api.js';
import { paths, seedWorkspace } from '../support/fixtures.js';
import { fetchOperations, fillUrl } from '../support/openapi.js';
import { cleanup, cli, startServerProcess, type CliResult, type ServerProcess } from '../support/server-process.js';

const viaCli = randomBytes(16).toString('hex');
const viaApi = randomBytes(16).toString('hex');
/** A git source's credential (write-only like a secret). */
const viaGit = `ghp_${randomBytes(16).toString('hex')}`;
let gitBuild = '';
/** A config value: not secret, so it must be found (the control). */
const configMarker = `cfg${randomBytes(12).toString('hex')}`;

/** The forms a leaked value could take. */
function forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [value, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), bytes.toString('hex').toUpperCase()];
}

let server: ServerProcess;
let admin: Api;
const outputs: CliResult[] = [];
const apiAnswers: string[] = [];

async function run(args: string[], input?: string): Promise<CliResult> {
  const r = await cli(args, { server: server.url, token: server.adminToken, input });
  outputs.push(r);
  return r;
}

/** Every file under the data dir (store, WAL, keys, registry blobs), recursively. */
function dataFiles(dir = ''): Array<{ name: string; content: Buffer }> {
  return readdirSync(join(server.dataDir, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? dataFiles(join(dir, e.name)) : [{ name: join(dir, e.name), content: readFileSync(join(server.dataDir, dir, e.name)) }],
  );
}

function leaks(haystacks: Array<{ where: string; text: string | Buffer }>, values: string[]): string[] {
  const found: string[] = [];
  for (const value of values) {
    for (const form of forms(value)) {
      for (const { where, text } of haystacks) if (text.includes(form)) found.push(`${form} in ${where}`);
    }
  }
  return found;
}

beforeAll(async () => {
  server = await startServerProcess({ env: { SLIPWAY_LOG_LEVEL: 'trace' }, args: ['--allow-git-host', '127.0.0.1'] });
  admin = apiClient(server.url, server.adminToken);
  await seedWorkspace(admin, 'acme', 'web', 'qa');

  const set = await run(['--json', 'secret', 'set', 'DB_PASSWORD', '-w', 'acme', '-p', 'web', '-e', 'prod'], `${viaCli}\n`);
  expect(set.code, set.stderr).toBe(0);
  const human = await run(['secret', 'set', 'SESSION_KEY', '-w', 'acme', '-p', 'web'], viaCli);
  expect(human.code, human.stderr).toBe(0);
  const put = await admin.put(`${paths.project('acme', 'web')}/secrets/API_TOKEN`, { value: viaApi });
  apiAnswers.push(put.text);
  ok(put);
  const cfg = await run(['config', 'set', `MARKER=${configMarker}`, '-w', 'acme', '-p', 'web', '-e', 'prod']);
  expect(cfg.code, cfg.stderr).toBe(0);
  // A git source with a credential, and a build that sends it to a port where nothing listens.
  const linked = await run(['--json', 'git', 'link', 'http://127.0.0.1:9/web.git', '-w', 'acme', '-p', 'web', '--credential', '-'], viaGit);
  expect(linked.code, linked.stderr).toBe(0);
  const built = await run(['--json', 'git', 'build', '-w', 'acme', '-p', 'web']);
  expect(built.stderr).toContain('SLW_GIT_UNREACHABLE');
  gitBuild = (await run(['--json', 'git', 'builds', '-w', 'acme', '-p', 'web'])).json<Array<{ id: string }>>()[0]?.id ?? '';
});

afterAll(async () => {
  await server?.stop();
  await cleanup();
});

describe('secret values never leave the server', () => {
  it('the secrets exist: secret list shows their names and versions', async () => {
    const env = (await run(['--json', 'secret', 'list', '-w', 'acme', '-p', 'web', '-e', 'prod'])).json<{ secrets: Array<{ name: string; version: number; layer: string }> }>();
    expect(env.secrets).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'DB_PASSWORD', version: 2, layer: 'environment' }),
        expect.objectContaining({ name: 'API_TOKEN', version: 1, layer: 'base' }),
        expect.objectContaining({ name: 'SESSION_KEY', version: 1, layer: 'base' }),
      ]),
    );
    const human = await run(['secret', 'list', '-w', 'acme', '-p', 'web']);
    expect(human.stdout).toContain('API_TOKEN');
    expect(human.stdout).toContain('SESSION_KEY');
  });

  it('no GET route of the workspace and no CLI command answers with a value', async () => {
    expect((await run(['app', 'create', 'web-app', '-w', 'acme', '--from-project', 'web'])).code).toBe(0);
    expect((await run(['site', 'create', 'globex', '-a', 'web-app', '-w', 'acme', '--no-deploy'])).code).toBe(0);
    const values = { workspace: 'acme', project: 'web', environment: 'prod', name: 'DB_PASSWORD', token: 'tok_none', member: 'admin@slipway.local', number: 1, host: '127.0.0.1:5000', from: 'dev', to: 'prod', application: 'web-app', site: 'globex', build: gitBuild, volume: 'data' };
    const gets = (await fetchOperations(server.url)).filter((o) => o.method === 'GET' && !o.path.includes('{number}') && !o.path.includes('{token}') && !o.path.includes('{deployment}') && !o.path.includes('{promotion}') && !o.path.includes('{service}') && !o.path.includes('{server}') && !o.path.includes('{run}') && !o.path.includes('{upgrade}') && !o.path.includes('{backup}'));
    expect(gets.length).toBeGreaterThanOrEqual(15);
    for (const op of gets) {
      const res = await admin.get(fillUrl(op, values));
      expect(res.status, `${op.path}: ${res.text}`).toBe(200);
      apiAnswers.push(res.text);
    }
    for (const args of [
      ['config', 'get', '-w', 'acme', '-p', 'web', '-e', 'prod'],
      ['config', 'history', '-w', 'acme', '-p', 'web', '-e', 'prod'],
      ['audit', '-w', 'acme'],
      ['releases', '-w', 'acme', '-p', 'web', '-e', 'prod'],
      ['git', 'show', '-w', 'acme', '-p', 'web'],
      ['git', 'builds', gitBuild, '-w', 'acme', '-p', 'web'],
      ['site', 'list', '-a', 'web-app', '-w', 'acme'],
      ['config', 'get', '-a', 'web-app', '-e', 'globex', '-w', 'acme'],
    ]) {
      expect((await run(args)).code).toBe(0);
      expect((await run(['--json', ...args])).code).toBe(0);
    }
    const haystacks = [
      ...apiAnswers.map((text, i) => ({ where: `API answer ${i}`, text })),
      ...outputs.flatMap((r, i) => [
        { where: `CLI stdout ${i}`, text: r.stdout },
        { where: `CLI stderr ${i}`, text: r.stderr },
      ]),
    ];
    expect(leaks(haystacks, [viaCli, viaApi, viaGit])).toEqual([]);
    // The control: a config value, set the same way, is in those answers.
    expect(leaks(haystacks, [configMarker]).length).toBeGreaterThan(0);
  });

  it('the SQLite file, its WAL and the logs hold no value, while running and after shutdown', async () => {
    const running = dataFiles();
    expect(running.map((f) => f.name)).toEqual(expect.arrayContaining(['slipway.db', 'slipway.db-wal']));
    const haystacks = [...running.map((f) => ({ where: `${f.name} (running)`, text: f.content })), { where: 'server logs', text: server.logs() }];
    expect(server.logs()).toContain('/secrets/API_TOKEN'); // the logs cover the secret requests
    expect(leaks(haystacks, [viaCli, viaApi, viaGit])).toEqual([]);
    expect(leaks(haystacks.filter((h) => h.where.startsWith('slipway.db')), [configMarker]).length).toBeGreaterThan(0);

    expect(await server.stop()).toBe(0);
    const stopped = dataFiles().map((f) => ({ where: `${f.name} (stopped)`, text: f.content }));
    expect(leaks([...stopped, { where: 'server logs', text: server.logs() }], [viaCli, viaApi, viaGit])).toEqual([]);
    expect(leaks(stopped, [configMarker]).length).toBeGreaterThan(0);
  });
});
