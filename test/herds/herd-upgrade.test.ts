/**
 * A herd upgrade end to end, on the real Docker engine, Caddy and the machine's PostgreSQL: an
 * application with 30 sites, each with its own database (attached through the services
 * feature) holding rows the app wrote; an upgrade to 2.0.0 with 1 canary, batches of 25 %,
 * 5 at once and a failure budget of 2, whose migration fails on exactly the 3 sites labelled
 * `broken=yes`: it halts when the budget is exhausted; the failed sites are back on 1.0.0 with
 * their rows as they were (row by row); the sites done before the halt run 2.0.0 with migrated
 * rows; the rest were never touched (one release each). After the labels are fixed, a resume
 * upgrades the rest, through a kill -9 of the server mid-wave: no site is redone or skipped.
 * Then a staged site: its clone answers on its own domain with a copy of its data, approval
 * cuts the live site over with no failed request, rejection removes the clone. Bad input last.
 */
import { until } from '../support/until.js';
import type { HerdUpgrade } from '../../src/api/herds.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGenerator, viaProxy, type DeployWorld } from '../support/deploy.js';
import { eachAtMost, herdSites as names, herdWorld } from '../support/herd-world.js';
import { cleanup } from '../support/server-process.js';
import { startDockerRegistry, type DockerRegistry } from '../support/docker-registry.js';
import { skopeoCopy } from '../../src/registry/client/test-support/docker-registry.js';
import { join } from 'node:path';

interface Site {
  name: string;
  version: string | null;
  labels: Record<string, string>;
}
type Upgrade = HerdUpgrade;

const broken = new Set(['s04', 's06', 's08']);
// The machine's PostgreSQL is adopted as a role of this test's own, whose databases (one per site) are dropped at the end.
const herd = herdWorld({
  workspace: 'herd',
  args: ['--allow-service-host', '127.0.0.1', '--allow-registry-host', '127.0.0.1'],
  role: `slwtest_herd_${process.pid}`,
  password: `herd-${process.pid}`,
  tempPrefix: 'slipway-herd-',
  broken,
  versions: ['1.0.0', '2.0.0'],
});
let w: DeployWorld;
const registries: DockerRegistry[] = [];
const domain = (site: string) => `${site}.saas.${w.ws}.localhost`;
const ws = () => ['-w', w.ws];
const run = herd.run;
const get = herd.get;

const rows = async (site: string) => JSON.parse(await get(site, '/rows')) as Array<Record<string, unknown>>;
const original = (site: string) => [
  { id: 1, v: `${site}-first` },
  { id: 2, v: `${site}-second` },
];
const migrated = (site: string) => original(site).map((r) => ({ ...r, note: 'migrated to 2' }));

async function status(id: string): Promise<Upgrade> {
  return (await run(['herd', 'status', id, ...ws(), '--json'])).json<Upgrade>();
}


async function releasesOf(site: string): Promise<Array<{ number: number; version: string | null; status: string }>> {
  return (await run(['releases', '-a', 'saas', '-e', site, ...ws(), '--json'])).json<{ releases: Array<{ number: number; version: string | null; status: string }> }>().releases;
}

beforeAll(async () => {
  await herd.setUp();
  w = herd.world;
  // Every site to 1.0.0: itself a herd upgrade (sites that never ran anything), then rows written by the app.
  const first = (await run(['herd', 'upgrade', '-a', 'saas', '--to', '1.0.0', '--canary', '0', '--batch', '100%', '--parallel', '10', '--bake', '0', '--wait', ...ws(), '--json'])).json<Upgrade>();
  expect(first.state, JSON.stringify(first.sites.filter((s) => s.step !== 'done'))).toBe('succeeded');
  await herd.writeRows();
}, 900_000);

afterAll(async () => {
  await herd.dispose();
  for (const r of registries) await r.stop();
  await cleanup();
}, 180_000);

describe('a herd upgrade of 30 sites', () => {
  let id = '';

  it('plans canary then batches of 25 % without starting anything (--dry-run)', async () => {
    const plan = (await run(['herd', 'upgrade', '-a', 'saas', '--to', '2.0.0', '--canary', '1', '--batch', '25%', '--failure-budget', '2', '--dry-run', ...ws(), '--json'])).json<{ waves: Array<{ kind: string; sites: string[] }>; failureBudget: number }>();
    expect(plan.waves.map((x) => [x.kind, x.sites.length])).toEqual([
      ['canary', 1],
      ['batch', 8],
      ['batch', 8],
      ['batch', 8],
      ['batch', 5],
    ]);
    expect(plan.waves[0]?.sites).toEqual(['s01']);
    expect(plan.failureBudget).toBe(2);
    const list = (await run(['herd', 'list', '-a', 'saas', ...ws(), '--json'])).json<{ upgrades: unknown[] }>();
    expect(list.upgrades).toHaveLength(1);
  });

  it('halts when the migration fails on a third broken site: failed sites reverted with their rows, done sites migrated, the rest untouched', async () => {
    id = (await run(['herd', 'upgrade', '-a', 'saas', '--to', '2.0.0', '--canary', '1', '--batch', '25%', '--parallel', '5', '--bake', '5s', '--failure-budget', '2', ...ws(), '--json'])).json<Upgrade>().id;
    await until('the upgrade halted and settled', async () => (await status(id)).finishedAt !== null, 600_000);
    const u = await status(id);
    expect(u.state).toBe('halted');
    expect(u.failures).toBe(3);
    const step = new Map(u.sites.map((s) => [s.site, s.step]));
    for (const name of broken) expect(step.get(name), name).toBe('reverted');
    expect(u.sites.filter((s) => s.step === 'reverted').map((s) => s.site).sort()).toEqual([...broken].sort());
    expect(u.sites.find((s) => s.site === 's04')?.error).toMatch(/migration|release step/);
    // Every site looked at (a few at once).
    await eachAtMost(6, names, async (name) => {
      const s = step.get(name);
      if (s === 'done') {
        expect(await get(name), name).toBe('shop 2.0.0');
        expect(await rows(name), name).toEqual(migrated(name));
      } else {
        // Reverted or never started: 1.0.0 with its rows exactly as they were (no migrated column).
        expect(['reverted', 'pending'], `${name}: ${s}`).toContain(s);
        expect(await get(name), name).toBe('shop 1.0.0');
        expect(await rows(name), name).toEqual(original(name));
        if (s === 'pending') expect((await releasesOf(name)).map((r) => r.version), name).toEqual(['1.0.0']);
      }
    });
    expect(u.sites.filter((s) => s.step === 'done').length).toBeGreaterThan(0);
    expect(u.sites.filter((s) => s.step === 'pending').length).toBeGreaterThan(0);
    const log = (await run(['herd', 'logs', id, '--site', 's04', ...ws(), '--json'])).json<{ events: Array<{ step: string; message: string }> }>().events;
    expect(log.map((e) => e.step)).toEqual(expect.arrayContaining(['backup', 'migrate', 'reverting']));
    expect(log.some((e) => /restored pg from backup/.test(e.message))).toBe(true);
  }, 700_000);

  it('resumes after the labels are fixed and survives a kill -9 mid-wave: every site ends on 2.0.0, none redone or skipped', async () => {
    for (const name of broken) await run(['site', 'set', name, '-a', 'saas', ...ws(), '--label', 'broken=no']);
    await run(['herd', 'resume', id, ...ws()]);
    await until('a later wave is in flight', async () => {
      const u = await status(id);
      return (u.wave ?? 0) >= 2 && u.sites.some((s) => ['backup', 'migrate', 'deploy', 'bake'].includes(s.step));
    }, 600_000);
    await w.server.kill9();
    await w.restart();
    await until('the upgrade succeeded', async () => (await status(id)).state === 'succeeded', 600_000, async () => {
      // What was left, to say why.
      const u = await status(id);
      const left = u.sites.filter((x) => x.step !== 'done');
      const logs = await Promise.all(left.slice(0, 5).map(async (x) => `${x.site} (${x.step}): ${(await run(['herd', 'logs', id, '--site', x.site, ...ws(), '--json'])).json<{ events: Array<{ step: string; message: string }> }>().events.slice(-4).map((e) => `${e.step}: ${e.message}`).join(' | ')}`));
      return `state ${u.state}, failures ${u.failures}; not done: ${logs.join(' ;; ')}; server warnings: ${w.server.logs().split('\n').filter((l) => l.includes('"level":40') || l.includes('"level":50')).slice(-5).join('\n')}`;
    });
    const u = await status(id);
    expect(u.sites.filter((s) => s.wave >= 0).every((s) => s.step === 'done')).toBe(true);
    await eachAtMost(6, names, async (name) => {
      expect(await get(name), name).toBe('shop 2.0.0');
      expect(await rows(name), name).toEqual(migrated(name));
      const versions = (await releasesOf(name)).map((r) => `${r.version}:${r.status}`);
      // One 2.0.0 release that ran per site; a broken site also has its failed one (and the 1.0.0 it was rolled back to, if it had switched).
      expect(versions.filter((v) => v === '2.0.0:succeeded'), `${name}: ${versions.join(' ')}`).toHaveLength(1);
      if (!broken.has(name)) expect(versions.filter((v) => v.startsWith('2.0.0')), `${name}: ${versions.join(' ')}`).toHaveLength(1);
    });
  }, 900_000);
});

describe('a staged site', () => {
  it('gets a clone on the new version with a copy of its data; approval cuts it over with no failed request, and the clone goes', async () => {
    await run(['site', 'create', 'st1', '-a', 'saas', ...ws(), '--no-deploy', '--policy', 'staged', '--label', 'broken=no']);
    await run(['service', 'attach', 'pg', '-a', 'saas', '-e', 'st1', ...ws()]);
    await run(['deploy', '-a', 'saas', '-e', 'st1', '--version', '1.0.0', ...ws()]);
    await get('st1', '/write?v=st1-first');
    await get('st1', '/write?v=st1-second');
    const id = (await run(['herd', 'upgrade', '-a', 'saas', '--to', '2.0.0', '--sites', 'name=st1', '--canary', '0', '--bake', '5s', ...ws(), '--json'])).json<Upgrade>().id;
    await until('the staged site waits for approval', async () => (await status(id)).sites[0]?.step === 'awaiting-approval', 300_000);
    const clone = (await status(id)).sites[0]?.clone ?? '';
    expect(clone).toBe('st1-next');
    // The clone: 2.0.0 on its own domain, with the site's rows migrated; the live site unchanged.
    expect(await get(clone)).toBe('shop 2.0.0');
    expect(await rows(clone)).toEqual(migrated('st1'));
    expect(await get('st1')).toBe('shop 1.0.0');
    expect(await rows('st1')).toEqual(original('st1'));
    const load = loadGenerator(w.proxyPort, domain('st1'), 50, 5, 240);
    await run(['herd', 'approve', id, '--site', 'st1', ...ws()]);
    await until('the staged site is cut over', async () => (await status(id)).finishedAt !== null, 300_000);
    const result = await load.stop();
    expect(result.failed, result.failures.join('\n')).toBe(0);
    expect(result.sent).toBeGreaterThan(20);
    expect((await status(id)).state).toBe('succeeded');
    expect(await get('st1')).toBe('shop 2.0.0');
    expect(await rows('st1')).toEqual(migrated('st1'));
    const envs = (await run(['env', 'list', '-p', 'saas', ...ws(), '--json'])).json<{ environments: Array<{ name: string }> }>().environments.map((e) => e.name);
    expect(envs).not.toContain('st1-next');
  }, 600_000);

  it('rejection removes the clone and leaves the site as it was', async () => {
    await run(['site', 'create', 'st2', '-a', 'saas', ...ws(), '--no-deploy', '--policy', 'staged']);
    await run(['service', 'attach', 'pg', '-a', 'saas', '-e', 'st2', ...ws()]);
    await run(['deploy', '-a', 'saas', '-e', 'st2', '--version', '1.0.0', ...ws()]);
    await get('st2', '/write?v=st2-first');
    await get('st2', '/write?v=st2-second');
    const id = (await run(['herd', 'upgrade', '-a', 'saas', '--to', '2.0.0', '--sites', 'name=st2', '--canary', '0', ...ws(), '--json'])).json<Upgrade>().id;
    await until('the staged site waits for approval', async () => (await status(id)).sites[0]?.step === 'awaiting-approval', 300_000);
    await run(['herd', 'reject', id, '--site', 'st2', ...ws()]);
    await until('the clone is removed', async () => (await status(id)).sites[0]?.step === 'rejected', 120_000);
    const envs = (await run(['env', 'list', '-p', 'saas', ...ws(), '--json'])).json<{ environments: Array<{ name: string }> }>().environments.map((e) => e.name);
    expect(envs).not.toContain('st2-next');
    expect(await get('st2')).toBe('shop 1.0.0');
    expect(await rows('st2')).toEqual(original('st2'));
  }, 600_000);
});

describe('a site that fails its bake', () => {
  it('is rolled back by its health gate, its backup restored, and halts an upgrade with no failure budget', async () => {
    await run(['site', 'create', 'bk1', '-a', 'saas', ...ws(), '--no-deploy', '--label', 'flaky=yes']);
    await run(['service', 'attach', 'pg', '-a', 'saas', '-e', 'bk1', ...ws()]);
    // Ready by /health, so the new version passes its readiness check; its users get 500 on /.
    await run(['env', 'set', '-a', 'saas', '-e', 'bk1', ...ws(), '--health-path', '/health']);
    await run(['deploy', '-a', 'saas', '-e', 'bk1', '--version', '1.0.0', ...ws()]);
    await get('bk1', '/write?v=bk1-first');
    await get('bk1', '/write?v=bk1-second');
    const id = (await run(['herd', 'upgrade', '-a', 'saas', '--to', '2.0.0', '--sites', 'name=bk1', '--canary', '0', '--bake', '5s', ...ws(), '--json'])).json<Upgrade>().id;
    await until('the upgrade settled', async () => (await status(id)).finishedAt !== null, 180_000);
    const u = await status(id);
    expect(u.state).toBe('halted');
    expect(u.sites[0]).toMatchObject({ site: 'bk1', step: 'reverted' });
    expect(u.sites[0]?.error).toMatch(/health gate failed/);
    expect(await get('bk1')).toBe('shop 1.0.0');
    expect(await rows('bk1')).toEqual(original('bk1'));
    const log = (await run(['herd', 'logs', id, '--site', 'bk1', ...ws(), '--json'])).json<{ events: Array<{ step: string }> }>().events.map((e) => e.step);
    expect(log).toEqual(expect.arrayContaining(['backup', 'migrate', 'deploy', 'bake', 'reverting']));
  }, 300_000);
});

describe('abort --revert', () => {
  it('moves the sites an upgrade finished back, with their data as before, and leaves the others untouched', async () => {
    await run(['site', 'set', 'st2', '-a', 'saas', ...ws(), '--policy', 'manual']);
    // st3's own window opens half an hour from now: it stays pending while st2 (the canary) is upgraded.
    await run(['site', 'create', 'st3', '-a', 'saas', ...ws(), '--no-deploy', '--window', `${(new Date().getUTCMinutes() + 30) % 60} * * * *`]);
    await run(['service', 'attach', 'pg', '-a', 'saas', '-e', 'st3', ...ws()]);
    await run(['deploy', '-a', 'saas', '-e', 'st3', '--version', '1.0.0', ...ws()]);
    const id = (await run(['herd', 'upgrade', '-a', 'saas', '--to', '2.0.0', '--sites', 'name=st2|st3', '--canary', '1', '--bake', '0', ...ws(), '--json'])).json<Upgrade>().id;
    await until('the canary is done', async () => (await status(id)).sites.find((s) => s.site === 'st2')?.step === 'done', 120_000);
    expect(await rows('st2')).toEqual(migrated('st2'));
    const aborted = (await run(['herd', 'abort', id, '--revert', ...ws(), '--json'])).json<Upgrade>();
    expect(aborted.state).toBe('aborted');
    await until('the abort settled', async () => (await status(id)).finishedAt !== null, 120_000);
    const u = await status(id);
    expect(u.sites.map((s) => [s.site, s.step])).toEqual([
      ['st2', 'reverted'],
      ['st3', 'pending'],
    ]);
    expect(u.failures).toBe(0);
    expect(await get('st2')).toBe('shop 1.0.0');
    expect(await rows('st2')).toEqual(original('st2'));
    expect((await releasesOf('st3')).map((r) => r.version)).toEqual(['1.0.0']);
  }, 300_000);
});

describe('an upstream application with continuous sites', () => {
  it('a new semver tag pushed upstream appears (the registry calls the hook), classified, and upgrades the continuous sites', async () => {
    const upstream = await startDockerRegistry();
    registries.push(upstream);
    const copy = (version: string, to: DockerRegistry) => skopeoCopy(`docker://${w.host}/${w.ws}/saas:${version}`, `docker://${to.host}/vendor/saas:${version}`, ['--src-tls-verify=false', '--src-creds', `ci:${w.server.adminToken}`]);
    copy('1.0.0', upstream);
    await run(['app', 'create', 'vendor', '--upstream', `${upstream.host}/vendor/saas`, '--poll', '1h', ...ws()]);
    // Its automatic upgrades move as set here: no canary, both sites at once, no bake of their own, one failure tolerated.
    const set = (await run(['app', 'set', 'vendor', '--continuous-canary', '0', '--continuous-parallel', '2', '--continuous-bake', '0', '--continuous-budget', '1', ...ws(), '--json'])).json<{ application: { continuous: Record<string, unknown> } }>();
    expect(set.application.continuous).toEqual({ canary: 0, batch: '25%', parallel: 2, bakeSeconds: 0, failureBudget: '1', custom: true });
    for (const name of ['c1', 'c2']) await run(['site', 'create', name, '-a', 'vendor', '--policy', 'continuous', ...ws()]);
    expect((await viaProxy(w.proxyPort, `c1.vendor.${w.ws}.localhost`)).body).toBe('shop 1.0.0');
    const hook = (await run(['app', 'hook', 'vendor', ...ws(), '--json'])).json<{ url: string; secret: string }>();
    // A registry on the same storage that notifies the hook of each push, as its docs configure it.
    const notifying = await startDockerRegistry({ rootDirectory: join(upstream.dir, 'data'), notify: { url: hook.url, headers: { Authorization: `Bearer ${hook.secret}` } } });
    registries.push(notifying);
    copy('2.0.0', notifying);
    await until('2.0.0 is a version', async () => (await run(['app', 'versions', 'vendor', ...ws(), '--json'])).json<{ versions: Array<{ version: string }> }>().versions.some((v) => v.version === '2.0.0'), 60_000);
    const versions = (await run(['app', 'versions', 'vendor', ...ws(), '--json'])).json<{ latest: string; versions: Array<{ version: string; class: string }> }>();
    expect(versions.latest).toBe('2.0.0');
    expect(versions.versions.find((v) => v.version === '2.0.0')?.class).toBe('major');
    await until('the continuous upgrade succeeded', async () => {
      const list = (await run(['herd', 'list', '-a', 'vendor', ...ws(), '--json'])).json<{ upgrades: Array<{ trigger: string; state: string; to: string }> }>().upgrades;
      return list.some((u) => u.trigger === 'continuous' && u.to === '2.0.0' && u.state === 'succeeded');
    }, 180_000);
    const auto = (await run(['herd', 'list', '-a', 'vendor', ...ws(), '--json'])).json<{ upgrades: Array<{ id: string; trigger: string }> }>().upgrades.find((u) => u.trigger === 'continuous')!;
    const done = await run(['herd', 'status', auto.id, ...ws(), '--json']);
    const shown = done.json<{ options: Record<string, unknown>; failureBudget: number; waves: Array<{ kind: string; sites: unknown[] }> }>();
    expect(shown.options).toMatchObject({ canary: 0, batch: '25%', parallel: 2, bakeSeconds: 0, failureBudget: '1' });
    expect(shown.failureBudget).toBe(1);
    expect(shown.waves.map((v) => v.kind)).not.toContain('canary');
    for (const name of ['c1', 'c2']) expect((await viaProxy(w.proxyPort, `${name}.vendor.${w.ws}.localhost`)).body).toBe('shop 2.0.0');
  }, 300_000);
});

describe('bad input', () => {
  it('each gets a clear error with a code, and nothing is stored', async () => {
    const before = (await run(['herd', 'list', '-a', 'saas', ...ws(), '--json'])).json<{ upgrades: unknown[] }>().upgrades.length;
    const refused = async (args: string[], code: string, message: RegExp) => {
      const r = await w.run([...args, ...ws(), '--json']);
      expect(r.code, r.stdout).not.toBe(0);
      expect(r.stderr + r.stdout).toContain(code);
      expect(r.stderr + r.stdout).toMatch(message);
    };
    await refused(['herd', 'upgrade', '-a', 'saas', '--to', '9.9.9'], 'SLW_NOT_FOUND', /no version '9.9.9'.*app versions/);
    await refused(['herd', 'upgrade', '-a', 'saas', '--to', '1.0.0'], 'SLW_DOWNGRADE', /--allow-downgrade/);
    await refused(['herd', 'upgrade', '-a', 'saas', '--to', '2.0.0', '--sites', 'region=mars'], 'SLW_HERD_NO_SITES', /no site matches 'region=mars'/);
    await refused(['herd', 'upgrade', '-a', 'saas', '--to', '1.0.0', '--allow-downgrade', '--failure-budget', '40'], 'SLW_VALIDATION', /--failure-budget 40 is above the \d+ selected site/);
    await refused(['herd', 'upgrade', '-a', 'saas', '--to', '2.0.0', '--sites', 'region=='], 'SLW_INVALID_SELECTOR', /selector/);
    await refused(['herd', 'upgrade', '-a', 'saas', '--to', '1.0.0', '--allow-downgrade', '--window', '61 * * * *'], 'SLW_VALIDATION', /cron expression/);
    // Two at once: the first holds the application (its window opens half an hour from now, so it moves nothing), the second is refused.
    const closed = `${(new Date().getUTCMinutes() + 30) % 60} * * * *`;
    const held = (await run(['herd', 'upgrade', '-a', 'saas', '--to', '1.0.0', '--allow-downgrade', '--sites', 'name=s01', '--window', closed, ...ws(), '--json'])).json<Upgrade>().id;
    await refused(['herd', 'upgrade', '-a', 'saas', '--to', '1.0.0', '--allow-downgrade', '--sites', 'name=s02'], 'SLW_HERD_BUSY', new RegExp(`being upgraded already \\(upgrade ${held}`));
    await run(['herd', 'abort', held, ...ws()]);
    await refused(['herd', 'resume', held], 'SLW_HERD_STATE', /aborted/);
    expect(await get('s01')).toBe('shop 2.0.0');
    expect((await run(['herd', 'list', '-a', 'saas', ...ws(), '--json'])).json<{ upgrades: unknown[] }>().upgrades.length).toBe(before + 1);
    // The options of automatic upgrades: each bad one refused by name, and nothing stored (not even a valid option given with it).
    await refused(['app', 'set', 'saas', '--continuous-batch', '0'], 'SLW_VALIDATION', /--continuous-batch 0 moves no site/);
    await refused(['app', 'set', 'saas', '--continuous-parallel', '99', '--continuous-canary', '3'], 'SLW_VALIDATION', /--continuous-parallel 99: give 1 to 50/);
    await refused(['app', 'set', 'saas', '--continuous-bake', '5x'], 'SLW_VALIDATION', /--continuous-bake '5x' is not a duration/);
    await refused(['app', 'set', 'saas', '--continuous-budget', '150%'], 'SLW_VALIDATION', /--continuous-budget 150% is above 100%/);
    await refused(['app', 'set', 'saas', '--continuous-canary', 'two'], 'SLW_USAGE', /--continuous-canary 'two' is not a whole number/);
    await refused(['app', 'set', 'saas', '--continuous-defaults', '--continuous-canary', '2'], 'SLW_USAGE', /--continuous-defaults goes alone/);
    expect((await run(['app', 'show', 'saas', ...ws(), '--json'])).json<{ continuous: unknown }>().continuous).toEqual({ canary: 1, batch: '25%', parallel: 5, bakeSeconds: 10, failureBudget: '0', custom: false });
  }, 300_000);
});
