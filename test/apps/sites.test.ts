/**
 * Sites end to end, on the real Docker engine and Caddy through the CLI: an application made
 * from a project with two versions (1.0.0 and 1.1.0, JARs compiled here that echo their
 * SLIPWAY_* variables); sites created with labels and a version (or their channel's latest) are
 * one deploy each and answer on their own domains; `site list` filters with a selector; every
 * `-p P -e ENV` command takes `-a APP -e SITE` (config set rolls a release, releases lists it);
 * SLIPWAY_APPLICATION, SLIPWAY_SITE and SLIPWAY_SITE_LABEL_* reach the workload, a config key of
 * the same name loses, and a label change arrives at the next deploy; bad input is one clear
 * error with a code and stores nothing; removing a site removes its containers and route, and
 * is refused while a herd upgrade of the application runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, ok } from '../support/api.js';
import { deployWorld, viaProxy, type DeployWorld } from '../support/deploy.js';
import { buildJar } from '../support/images.js';
import { cleanup, tempDir, type CliResult } from '../support/server-process.js';

interface Site {
  name: string;
  version: string | null;
  release: number | null;
  state: string;
  health: string;
  labels: Record<string, string>;
  channel: string;
  policy: string;
  window: string | null;
  domain: string;
}

let w: DeployWorld;
let work: string;
const domain = (site: string) => `${site}.saas.${w.ws}.localhost`;
const app = ['-a', 'saas-app'];

async function run(args: string[]): Promise<CliResult> {
  return w.run([...args, '-w', w.ws, '--json']);
}

async function succeeds<T>(args: string[]): Promise<T> {
  const r = await run(args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.json<T>();
}

async function refused(args: string[], code: string, message?: RegExp): Promise<void> {
  const r = await run(args);
  expect(r.code, `${args.join(' ')}: ${r.stdout}`).toBe(1);
  const error = r.json<{ error: { code: string; message: string } }>().error;
  expect({ args: args.join(' '), code: error.code }).toEqual({ args: args.join(' '), code });
  if (message) expect(error.message).toMatch(message);
}

async function sites(selector?: string): Promise<Site[]> {
  return (await succeeds<{ sites: Site[] }>(['site', 'list', ...app, ...(selector ? ['--sites', selector] : [])])).sites;
}

/** The SLIPWAY_* variables the site's workload sees, as it answers them on /env. */
async function envOf(site: string): Promise<Record<string, string>> {
  const r = await viaProxy(w.proxyPort, domain(site), '/env');
  expect(r.status).toBe(200);
  return Object.fromEntries(r.body.trim().split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

const containersOf = async (site: string) => (await w.docker(['ps', '-aq', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', `label=io.slipway.environment=${site}`])).split('\n').filter(Boolean);

beforeAll(async () => {
  w = await deployWorld({ workspace: 'herdsites' });
  ok(await apiClient(w.server.url, w.server.adminToken).post(`/api/v1/workspaces/${w.ws}/projects`, { name: 'saas' }));
  work = tempDir('slipway-sites-');
  for (const version of ['1.0.0', '1.1.0']) {
    const jar = await buildJar(join(work, version), `v${version}`, { envPrefix: 'SLIPWAY_' });
    const built = await run(['build', jar, '-p', 'saas', '--version', version, '--base', `${w.host}/${w.ws}/base:java`]);
    expect(built.code, built.stderr).toBe(0);
  }
  await succeeds(['app', 'create', 'saas-app', '--from-project', 'saas']);
}, 600_000);

afterAll(async () => {
  await w?.dispose();
  await cleanup();
});

describe('sites', () => {
  it('creates sites as one deploy each: of --version, else the latest on their channel; each answers on its domain', async () => {
    const acme = await succeeds<{ site: Site; version: string; deployment: { status: string; releaseNumber: number } }>(['site', 'create', 'acme', ...app, '--version', '1.0.0', '--label', 'region=eu', '--label', 'plan=gold', '--window', '0 2 * * sun']);
    expect(acme.version).toBe('1.0.0');
    expect(acme.deployment).toMatchObject({ status: 'succeeded', releaseNumber: 1 });
    expect(acme.site).toMatchObject({ name: 'acme', version: '1.0.0', release: 1, labels: { plan: 'gold', region: 'eu' }, channel: 'stable', policy: 'manual', window: '0 2 * * sun', domain: domain('acme') });
    expect((await viaProxy(w.proxyPort, domain('acme'))).body).toBe('hello | v1.0.0\n');

    const globex = await succeeds<{ site: Site; version: string }>(['site', 'create', 'globex', ...app, '--label', 'region=us', '--policy', 'continuous']);
    expect(globex.version).toBe('1.1.0');
    expect((await viaProxy(w.proxyPort, domain('globex'))).body).toBe('hello | v1.1.0\n');

    const initech = await succeeds<{ site: Site; version: string }>(['site', 'create', 'initech', ...app, '--version', '1.0.0', '--label', 'region=eu', '--label', 'plan=free', '--channel', 'beta']);
    expect(initech.site).toMatchObject({ version: '1.0.0', channel: 'beta' });

    // Without a deploy: nothing runs, and it says so.
    const hooli = await succeeds<{ site: Site; deployment: null; note: string }>(['site', 'create', 'hooli', ...app, '--no-deploy']);
    expect(hooli.site).toMatchObject({ version: null, state: 'not-deployed' });
    expect(hooli.note).toMatch(/nothing deployed/);
    expect(await containersOf('hooli')).toEqual([]);

    // A deploy's last step (the old workload's stop) may still be settling right after the CLI returns.
    let all = await sites();
    for (let i = 0; i < 60 && all.some((s) => s.state === 'deploying'); i += 1) {
      await new Promise((r) => setTimeout(r, 500));
      all = await sites();
    }
    expect(all.map((s) => [s.name, s.version, s.state])).toEqual([
      ['acme', '1.0.0', 'healthy'],
      ['globex', '1.1.0', 'healthy'],
      ['hooli', null, 'not-deployed'],
      ['initech', '1.0.0', 'healthy'],
    ]);
    // Sites are environments of the application's project.
    const envs = (await succeeds<{ environments: { name: string; kind: string }[] }>(['env', 'list', ...app])).environments;
    expect(envs.filter((e) => e.kind === 'site').map((e) => e.name).sort()).toEqual(['acme', 'globex', 'hooli', 'initech']);
  }, 600_000);

  it('lists the sites a selector matches: labels, version, channel, name', async () => {
    const names = async (selector: string) => (await sites(selector)).map((s) => s.name);
    expect(await names('region=eu')).toEqual(['acme', 'initech']);
    expect(await names('region=eu,plan!=free')).toEqual(['acme']);
    expect(await names('version=1.0.0')).toEqual(['acme', 'initech']);
    expect(await names('channel=beta')).toEqual(['initech']);
    expect(await names('region=us|eu,!plan')).toEqual(['globex']);
    expect(await names('name=hooli')).toEqual(['hooli']);
    expect(await names('region=mars')).toEqual([]);
    await refused(['site', 'list', ...app, '--sites', 'region=e u'], 'SLW_INVALID_SELECTOR');
  }, 120_000);

  it('shows SLIPWAY_APPLICATION, SLIPWAY_SITE and its labels to the workload; a config key of the same name loses', async () => {
    expect(await envOf('acme')).toEqual({ SLIPWAY_APPLICATION: 'saas-app', SLIPWAY_SITE: 'acme', SLIPWAY_SITE_LABEL_PLAN: 'gold', SLIPWAY_SITE_LABEL_REGION: 'eu' });
    expect(await envOf('globex')).toEqual({ SLIPWAY_APPLICATION: 'saas-app', SLIPWAY_SITE: 'globex', SLIPWAY_SITE_LABEL_REGION: 'us' });

    // -a APP -e SITE: config set rolls a new release of the site, with the same image.
    const set = await succeeds<{ deployment: { id: string; releaseNumber: number } }>(['config', 'set', 'GREETING=hi acme', 'SLIPWAY_SITE=forged', ...app, '-e', 'acme']);
    expect(set.deployment.releaseNumber).toBe(2);
    const logs = await succeeds<{ end: { status: string } }>(['logs', set.deployment.id, '--follow']);
    expect(logs.end.status).toBe('succeeded');
    expect((await viaProxy(w.proxyPort, domain('acme'))).body).toBe('hi acme | v1.0.0\n');
    expect((await envOf('acme')).SLIPWAY_SITE).toBe('acme');
    const config = await succeeds<{ entries: { key: string; value: string; layer: string }[] }>(['config', 'get', ...app, '-e', 'acme']);
    expect(config.entries.find((e) => e.key === 'GREETING')).toMatchObject({ value: 'hi acme', layer: 'environment' });
    // Other sites are untouched.
    expect((await viaProxy(w.proxyPort, domain('initech'))).body).toBe('hello | v1.0.0\n');

    const releases = (await succeeds<{ releases: { number: number; version: string | null; status: string; trigger: string }[] }>(['releases', ...app, '-e', 'acme'])).releases;
    expect(releases.map((r) => [r.number, r.version, r.status, r.trigger])).toEqual([
      [2, '1.0.0', 'succeeded', 'config-change'],
      [1, '1.0.0', 'superseded', 'deploy'],
    ]);
    const status = await succeeds<{ environments: { name: string; health: string }[] }>(['status', ...app]);
    expect(status.environments.find((e) => e.name === 'acme')?.health).toBe('healthy');
    await refused(['config', 'get', ...app, '-p', 'saas', '-e', 'acme'], 'SLW_USAGE', /-p PROJECT or -a APP, not both/);
    await refused(['config', 'get', '-a', 'no-such-app', '-e', 'acme'], 'SLW_NOT_FOUND', /application 'no-such-app'/);
  }, 300_000);

  it('changes labels, channel, policy and window; a label change reaches the workload at its next deploy', async () => {
    const changed = await succeeds<Site>(['site', 'set', 'acme', ...app, '--label', 'plan=platinum', '--label', 'tier=a', '--label', 'region-', '--channel', 'beta', '--policy', 'staged', '--no-window']);
    expect(changed).toMatchObject({ labels: { plan: 'platinum', tier: 'a' }, channel: 'beta', policy: 'staged', window: null });
    // Running workloads keep what they started with; a job started now sees the new labels.
    expect((await envOf('acme')).SLIPWAY_SITE_LABEL_PLAN).toBe('gold');
    const manifest = join(work, 'slipway.yaml');
    writeFileSync(manifest, 'pipelines:\n  labels:\n    jobs:\n      - name: show\n        image: $build\n        command: echo "job on $SLIPWAY_SITE of $SLIPWAY_APPLICATION plan=$SLIPWAY_SITE_LABEL_PLAN region=$SLIPWAY_SITE_LABEL_REGION"\n');
    await succeeds(['pipeline', 'apply', manifest, ...app]);
    const job = await succeeds<{ run: { status: string }; lines: { stream: string; line: string }[] }>(['pipeline', 'run', 'labels', ...app, '-e', 'acme', '--follow']);
    expect(job.run.status).toBe('succeeded');
    expect(job.lines.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual(['job on acme of saas-app plan=platinum region=']);
    const deployed = await succeeds<{ deployment: { status: string } }>(['deploy', ...app, '-e', 'acme', '--version', '1.1.0']);
    expect(deployed.deployment.status).toBe('succeeded');
    expect((await viaProxy(w.proxyPort, domain('acme'))).body).toBe('hi acme | v1.1.0\n');
    expect(await envOf('acme')).toEqual({ SLIPWAY_APPLICATION: 'saas-app', SLIPWAY_SITE: 'acme', SLIPWAY_SITE_LABEL_PLAN: 'platinum', SLIPWAY_SITE_LABEL_TIER: 'a' });
    const shown = await succeeds<Site>(['site', 'show', 'acme', ...app]);
    expect(shown).toMatchObject({ version: '1.1.0', release: 3, state: 'healthy' });
    expect((await sites('version=1.1.0')).map((s) => s.name)).toEqual(['acme', 'globex']);
    // Rollback by -a -e too.
    const back = await succeeds<{ deployment: { status: string } }>(['rollback', ...app, '-e', 'acme']);
    expect(back.deployment.status).toBe('succeeded');
    expect((await viaProxy(w.proxyPort, domain('acme'))).body).toBe('hi acme | v1.0.0\n');
  }, 300_000);

  it('refuses bad input with a code, and stores nothing', async () => {
    const before = await sites();
    const admin = apiClient(w.server.url, w.server.adminToken);
    const base = `/api/v1/workspaces/${w.ws}/applications/saas-app/sites`;
    await refused(['site', 'create', 'bad', ...app, '--label', 'Region=eu'], 'SLW_INVALID_LABEL', /label key "Region" is invalid/);
    await refused(['site', 'create', 'bad', ...app, '--label', 'version=2'], 'SLW_INVALID_LABEL', /site's own field/);
    await refused(['site', 'create', 'bad', ...app, '--label', 'region=e u'], 'SLW_INVALID_LABEL', /value "e u"/);
    // The server checks what another client sends.
    const badLabel = await admin.post(base, { name: 'bad', labels: { 'a.b': '1', 'a-b': '2' } });
    expect([badLabel.status, (badLabel.json as { error: { code: string } }).error.code]).toEqual([400, 'SLW_INVALID_LABEL']);
    await refused(['site', 'create', 'bad', ...app, '--window', '0 25 * * *'], 'SLW_VALIDATION', /25 is out of the hour range 0-23/);
    await refused(['site', 'create', 'bad', ...app, '--window', 'daily'], 'SLW_VALIDATION', /1 field, not 5/);
    await refused(['site', 'create', 'bad', ...app, '--version', '9.9.9'], 'SLW_NOT_FOUND', /has no version '9.9.9' \(its latest is 1.1.0\)/);
    await refused(['site', 'create', 'bad', ...app, '--channel', 'Beta!'], 'SLW_VALIDATION', /channel/);
    await refused(['site', 'create', 'bad', ...app, '--policy', 'sometimes'], 'SLW_VALIDATION');
    await refused(['site', 'create', 'acme', ...app], 'SLW_ALREADY_EXISTS', /site 'acme' already exists/);
    await refused(['site', 'create', 'prod', ...app], 'SLW_INVALID_NAME', /default environment/);
    await refused(['site', 'create', 'Bad_Name', ...app], 'SLW_INVALID_NAME');
    await refused(['site', 'set', 'acme', ...app, '--window', '61 * * * *'], 'SLW_VALIDATION', /minute range/);
    await refused(['site', 'set', 'nosuch', ...app, '--policy', 'manual'], 'SLW_NOT_FOUND', /site 'nosuch' not found/);
    await refused(['site', 'show', 'nosuch', ...app], 'SLW_NOT_FOUND');
    await refused(['site', 'list', '-a', 'nosuch'], 'SLW_NOT_FOUND');
    await refused(['site', 'remove', 'initech', ...app], 'SLW_USAGE', /--yes/);
    await refused(['app', 'remove', 'saas-app', '--confirm', 'saas-app'], 'SLW_HAS_SITES', /still has 4 site/);
    expect(await sites()).toEqual(before);
  }, 120_000);

  it('removes a site (containers, route, records) unless a herd upgrade of the application runs', async () => {
    // A herd upgrade in progress, as the herd controller records one.
    const db = new Database(join(w.server.dataDir, 'slipway.db'));
    db.pragma('busy_timeout = 5000');
    const appId = (db.prepare('select id from applications where name = ?').get('saas-app') as { id: string }).id;
    const now = new Date().toISOString();
    db.prepare(`insert into herd_upgrades (id, workspace_id, application_id, active_key, to_version, to_digest, selector, options, failure_budget, failures, state, trigger, reason, created_at, created_by, updated_at, finished_at, lease_owner, lease_until)
      values ('hup_test', (select workspace_id from applications where id = ?), ?, ?, '1.1.0', 'sha256:x', null, '{}', 0, 0, 'running', 'manual', null, ?, null, ?, null, null, null)`).run(appId, appId, appId, now, now);
    try {
      await refused(['site', 'remove', 'initech', ...app, '--yes'], 'SLW_HERD_BUSY', /herd upgrade hup_test to 1.1.0 is running/);
      await refused(['env', 'delete', 'initech', ...app, '--confirm', 'initech'], 'SLW_HERD_BUSY');
      expect(await containersOf('initech')).toHaveLength(1);
      db.prepare("update herd_upgrades set active_key = null, state = 'succeeded' where id = 'hup_test'").run();
    } finally {
      db.close();
    }
    expect(await succeeds(['site', 'remove', 'initech', ...app, '--yes'])).toEqual({ deleted: 'initech' });
    // The target removes the workload in the background (desired state), the route at once.
    expect((await viaProxy(w.proxyPort, domain('initech'))).status).toBe(404);
    await expect.poll(() => containersOf('initech'), { timeout: 30_000, interval: 250 }).toEqual([]);
    expect((await sites()).map((s) => s.name)).toEqual(['acme', 'globex', 'hooli']);
    expect((await succeeds<{ environments: { name: string }[] }>(['env', 'list', ...app])).environments.map((e) => e.name)).not.toContain('initech');
    // The name is free again.
    const again = await succeeds<{ site: Site }>(['site', 'create', 'initech', ...app, '--no-deploy']);
    expect(again.site).toMatchObject({ version: null, labels: {} });
    const { events } = ok<{ events: { action: string; target: string }[] }>(await apiClient(w.server.url, w.server.adminToken).get(`/api/v1/workspaces/${w.ws}/audit?limit=200`));
    expect(events.filter((e) => e.action.startsWith('site.')).map((e) => `${e.action} ${e.target}`).reverse()).toEqual([
      'site.create saas-app/acme',
      'site.create saas-app/globex',
      'site.create saas-app/initech',
      'site.create saas-app/hooli',
      'site.update saas-app/acme',
      'site.remove saas-app/initech',
      'site.create saas-app/initech',
    ]);
  }, 300_000);
});
