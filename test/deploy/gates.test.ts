/**
 * Gates on the real Docker engine and Caddy: a pipeline gate runs its pipeline against the
 * candidate image before anything deploys (a failing run fails the promotion with the run's id,
 * nothing deployed; a passing one lets it deploy after approval); a release that answers 500 after its switch is rolled
 * back by the health gate within its bake time while a load generator hammers the domain (the
 * number of requests that failed before the gate acted is printed, see docs/gates.md); a good
 * release passes the gate and its promotion shows both gates (approval, health); gate settings
 * are refused for a developer; bad gate syntax is a clear SLW_INVALID_GATE with nothing stored.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentInProject, ProjectStatus } from '../../src/api/deploy.js';
import type { Promotion } from '../../src/api/promotions.js';
import type { EnvironmentSettingsView } from '../../src/api/settings.js';
import { apiClient, errorCode as apiErrorCode } from '../support/api.js';
import { deployWorld, loadGenerator, viaProxy, type DeployWorld } from '../support/deploy.js';
import { buildJar } from '../support/images.js';
import { cleanup, tempDir } from '../support/server-process.js';

let w: DeployWorld;
const prod = () => `prod.shop.${w.ws}.localhost`;
const inShop = (env: string) => ['-w', w.ws, '-p', 'shop', '-e', env];
const errorCode = (r: { json<T>(): T }) => r.json<{ error: { code: string } }>().error.code;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function build(version: string, message: string, status: number): Promise<void> {
  const jar = await buildJar(join(tempDir('slipway-gate-jar-'), version), message, { status });
  const r = await w.run(['build', jar, '-w', w.ws, '-p', 'shop', '--version', version, '--base', `${w.host}/${w.ws}/base:java`, '--json']);
  expect(r.code, r.stderr).toBe(0);
}

async function status(): Promise<ProjectStatus['environments'][number]> {
  const r = await w.run(['status', '-w', w.ws, '-p', 'shop', '--json']);
  return r.json<ProjectStatus>().environments.find((e) => e.name === 'prod')!;
}

/** Polls `read` until `done` holds (the test's own timeout bounds it). */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, everyMs = 200): Promise<T> {
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    await sleep(everyMs);
  }
}

beforeAll(async () => {
  w = await deployWorld({ workspace: 'gate' });
  await build('1.1.0', 'good', 200);
  await build('2.0.0', 'broken', 500);
  const first = await w.run(['deploy', ...inShop('prod'), '--version', '1.0.0', '--skip-approval', '--json']);
  expect(first.code, first.stderr).toBe(0);
  expect((await w.run(['env', 'set', ...inShop('prod'), '--health-path', '/healthz'])).code).toBe(0);
}, 300_000);

afterAll(async () => {
  await w?.dispose();
  await cleanup();
});

describe('gates', () => {
  it('refuses gate settings for a developer and bad gate syntax with SLW_INVALID_GATE; nothing is stored', async () => {
    const asDeveloper = await w.run(['env', 'set', ...inShop('prod'), '--gate', 'health=10s', '--json'], w.developer);
    expect({ code: asDeveloper.code, error: errorCode(asDeveloper) }).toEqual({ code: 1, error: 'SLW_FORBIDDEN' });
    expect(asDeveloper.stderr).toMatch(/only an admin or owner may change gateHealth/);
    for (const bad of ['health=soon', 'health=2s', 'health=30s,max-error-rate=150%', 'health=30s,path=healthz', 'smoke=1', 'pipeline=Not_A_Name']) {
      const r = await w.run(['env', 'set', ...inShop('prod'), '--gate', bad, '--json']);
      expect({ bad, code: r.code, error: errorCode(r) }).toEqual({ bad, code: 1, error: 'SLW_INVALID_GATE' });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const api = apiClient(w.server.url, w.server.adminToken);
    const path = `/api/v1/workspaces/${w.ws}/projects/shop/environments/prod/settings`;
    const res = await api.patch(path, { gateHealth: { bakeSeconds: 1, maxErrorRate: 0.05, path: '/' } });
    expect({ status: res.status, code: apiErrorCode(res) }).toEqual({ status: 400, code: 'SLW_INVALID_GATE' });
    const shown = (await w.run(['env', 'show', ...inShop('prod'), '--json'])).json<EnvironmentSettingsView>();
    expect({ pipeline: shown.gatePipeline, health: shown.gateHealth }).toEqual({ pipeline: null, health: null });
  }, 60_000);

  it('a good release promoted with approval passes its health gate; the promotion shows both gates', async () => {
    const set = await w.run(['env', 'set', ...inShop('prod'), '--gate', 'health=6s,max-error-rate=5%', '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.json<EnvironmentSettingsView>().gateHealth).toEqual({ bakeSeconds: 6, maxErrorRate: 0.05, path: '/' });
    expect((await w.run(['env', 'show', ...inShop('prod')])).stdout).toMatch(/gate health\s+│\s+6 s bake, at most 5% errors on \//);
    expect((await w.run(['deploy', ...inShop('dev'), '--version', '1.1.0'])).code).toBe(0);
    const asked = await w.run(['promote', '-w', w.ws, '-p', 'shop', '--from', 'dev', '--to', 'prod', '--json'], w.approver);
    const { promotion } = asked.json<{ promotion: Promotion }>();
    expect(promotion.gates.approval).toEqual({ required: true, state: 'pending', by: null });
    const approved = await w.run(['approve', promotion.id, '-w', w.ws, '--json']);
    expect(approved.code, approved.stderr).toBe(0);
    const done = await until(
      async () => (await w.run(['promotion', 'show', promotion.id, '-w', w.ws, '--json'])).json<Promotion>(),
      (p) => p.status !== 'deploying' && p.status !== 'baking',
    );
    expect(done.status).toBe('succeeded');
    expect(done.gates.approval.state).toBe('approved');
    expect(done.gates.health).toMatchObject({ status: 'passed', errors: 0, bakeSeconds: 6 });
    expect(done.gates.health!.requests).toBeGreaterThanOrEqual(10);
    expect((await viaProxy(w.proxyPort, prod())).body).toBe('hello | good\n');
    const listed = await w.run(['promotions', '-w', w.ws, '-p', 'shop']);
    expect(listed.stdout).toMatch(new RegExp(`${promotion.id}.*succeeded.*approved by .*passed`));
  }, 180_000);

  it('a release that answers 500 after its switch is rolled back by the health gate within its bake, under load', async () => {
    expect((await w.run(['env', 'set', ...inShop('prod'), '--gate', 'health=30s,max-error-rate=5%'])).code).toBe(0);
    const load = loadGenerator(w.proxyPort, prod(), 100, 10, 150);
    const deployed = await w.run(['deploy', ...inShop('prod'), '--version', '2.0.0', '--skip-approval', '--json']);
    expect(deployed.code, deployed.stderr).toBe(0);
    const switchedAt = Date.now();
    const deployment = deployed.json<{ deployment: DeploymentInProject }>().deployment;
    expect(deployment.healthGate?.status).toBe('baking');
    const failed = await until(status, (e) => e.healthGate?.releaseNumber === deployment.releaseNumber && e.healthGate.status !== 'baking');
    const gateActedAt = Date.now();
    // A snapshot of the load at the moment the gate acted (within one poll).
    const failedBeforeGate = (await load.snapshot()).failed;
    const gate = failed.healthGate!;
    expect(gate.status).toBe('failed');
    expect(gate.reason).toMatch(/^\d+% 5xx over \d+ s \(\d+ of \d+ requests failed; at most 5% allowed\)$/);
    expect(Date.parse(gate.finishedAt!) - Date.parse(gate.startedAt)).toBeLessThan(gate.bakeSeconds * 1000);
    // Real traffic (the edge's access log) was measured besides the gate's own probes.
    expect(gate.requests).toBeGreaterThan(gate.probes);
    const rollback = await until(
      async () => (await w.run(['logs', gate.rollbackDeploymentId!, '-w', w.ws, '--json'])).json<{ end: { status: string } | null }>(),
      (r) => r.end !== null && r.end.status !== 'running',
    );
    expect(rollback.end?.status).toBe('succeeded');
    const rolledBackAt = Date.now();
    await sleep(1000);
    const result = await load.stop();
    expect((await viaProxy(w.proxyPort, prod())).body).toBe('hello | good\n');
    const releases = (await w.run(['releases', ...inShop('prod'), '--json'])).json<{ releases: Array<{ number: number; version: string | null; status: string; trigger: string; message: string | null }> }>().releases;
    const bad = releases.find((r) => r.number === deployment.releaseNumber)!;
    expect({ status: bad.status, version: bad.version }).toEqual({ status: 'failed', version: '2.0.0' });
    expect(bad.message).toMatch(/^rolled back by health gate: \d+% 5xx over \d+ s/);
    expect(releases[0]).toMatchObject({ version: '1.1.0', status: 'succeeded', trigger: 'rollback' });
    const audit = (await w.run(['audit', '-w', w.ws, '--action', 'health-gate.rollback', '--json'])).json<{ events: Array<{ action: string; actor: { email: string | null }; details: { reason: string } }> }>().events;
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor.email).toBeNull();
    const logs = (await w.run(['logs', deployment.id, '-w', w.ws])).stdout;
    expect(logs).toMatch(/health gate failed: \d+% 5xx over \d+ s/);
    // The bad release did serve 500s until the gate acted; afterwards every request is served by the good release.
    expect(result.failed).toBeGreaterThan(0);
    expect(result.failures.every((f) => f.startsWith('HTTP 500'))).toBe(true);
    expect(result.bodies.has('hello | good\n')).toBe(true);
    const numbers = {
      sent: result.sent,
      failedTotal: result.failed,
      failedBeforeGateActed: failedBeforeGate,
      switchToGateMs: gateActedAt - switchedAt,
      gateToRollbackLiveMs: rolledBackAt - gateActedAt,
      gateMeasured: { requests: gate.requests, probes: gate.probes, errors: gate.errors },
      gateReason: gate.reason,
    };
    console.log(`health gate under load: ${JSON.stringify(numbers)}`);
    if (process.env.SLIPWAY_GATE_REPORT) writeFileSync(process.env.SLIPWAY_GATE_REPORT, `${JSON.stringify(numbers, null, 2)}\n`);
  }, 240_000);

  it('a pipeline gate tests the candidate image first: a failing run fails the promotion and deploys nothing, a passing one deploys it', async () => {
    const dir = tempDir('slipway-gate-manifest-');
    mkdirSync(dir, { recursive: true });
    const manifest = join(dir, 'slipway.yaml');
    writeFileSync(manifest, `pipelines:
  smoke:
    jobs:
      - name: ok
        image: $build
        command: echo "testing the candidate"
  broken:
    jobs:
      - name: fails
        image: $build
        command: echo "the candidate fails its tests"; exit 3
`);
    const applied = await w.run(['pipeline', 'apply', manifest, '-w', w.ws, '-p', 'shop', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await w.run(['env', 'set', ...inShop('prod'), '--gate', 'pipeline=broken', '--gate', 'health='])).code).toBe(0);
    const shown = (await w.run(['env', 'show', ...inShop('prod'), '--json'])).json<EnvironmentSettingsView>();
    expect(shown.gates).toMatchObject({ pipeline: 'broken', health: null, source: { pipeline: 'environment', health: 'none' } });
    const releasesBefore = (await w.run(['releases', ...inShop('prod'), '--json'])).json<{ releases: unknown[] }>().releases.length;

    const asked = await w.run(['promote', '-w', w.ws, '-p', 'shop', '--from', 'dev', '--to', 'prod', '--skip-approval', '--json']);
    expect(asked.code, asked.stderr).toBe(0);
    const blocked = asked.json<{ promotion: Promotion }>().promotion;
    expect(blocked.status).toBe('testing');
    const failed = await until(async () => (await w.run(['promotion', 'show', blocked.id, '-w', w.ws, '--json'])).json<Promotion>(), (p) => p.status !== 'testing');
    expect(failed.status).toBe('failed');
    expect(failed.gates.pipeline).toMatchObject({ pipeline: 'broken', status: 'failed' });
    expect(failed.reason).toContain(`pipeline gate: run ${failed.gates.pipeline!.runId} of 'broken' failed`);
    expect(failed.deploymentId).toBeNull();
    expect((await w.run(['releases', ...inShop('prod'), '--json'])).json<{ releases: unknown[] }>().releases).toHaveLength(releasesBefore);

    expect((await w.run(['env', 'set', ...inShop('prod'), '--gate', 'pipeline=smoke'])).code).toBe(0);
    const second = (await w.run(['promote', '-w', w.ws, '-p', 'shop', '--from', 'dev', '--to', 'prod', '--json'], w.developer)).json<{ promotion: Promotion }>().promotion;
    expect(second.status).toBe('pending-approval');
    const approved = await w.run(['approve', second.id, '-w', w.ws]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/pipeline gate runs against the image now/);
    const passed = await until(async () => (await w.run(['promotion', 'show', second.id, '-w', w.ws, '--json'])).json<Promotion>(), (p) => !['testing', 'deploying'].includes(p.status));
    expect(passed.status).toBe('succeeded');
    expect(passed.gates.approval.state).toBe('approved');
    expect(passed.gates.pipeline).toMatchObject({ pipeline: 'smoke', status: 'succeeded' });
    const runs = (await w.run(['pipeline', 'runs', '-w', w.ws, '-p', 'shop', '--json'])).json<{ runs: Array<{ id: string; imageDigest: string; trigger: { kind: string }; promotionId: string | null }> }>().runs;
    expect(runs.find((r) => r.id === passed.gates.pipeline!.runId)).toMatchObject({ imageDigest: second.imageDigest, trigger: { kind: 'gate' }, promotionId: second.id });
    expect((await w.run(['releases', ...inShop('prod'), '--json'])).json<{ releases: unknown[] }>().releases).toHaveLength(releasesBefore + 1);
    const shownRequest = (await w.run(['promotion', 'show', second.id, '-w', w.ws])).stdout;
    expect(shownRequest).toMatch(/gate pipeline\s+│\s+smoke: run run_\S+ succeeded/);
  }, 240_000);

  it('a bake survives kill -9 of the control plane: the restarted server takes the gate over and rolls the bad release back', async () => {
    expect((await w.run(['env', 'set', ...inShop('prod'), '--gate', 'pipeline=', '--gate', 'health=30s,max-error-rate=5%'])).code).toBe(0);
    // No load: only the gate's probes (five a second) measure, so its verdict needs two seconds, and the kill comes first.
    const deployed = await w.run(['deploy', ...inShop('prod'), '--version', '2.0.0', '--skip-approval', '--json']);
    expect(deployed.code, deployed.stderr).toBe(0);
    const deployment = deployed.json<{ deployment: DeploymentInProject }>().deployment;
    expect(deployment.healthGate?.status).toBe('baking');
    await w.server.kill9();
    const killedAt = Date.now();
    await w.restart();
    const ended = await until(status, (e) => e.healthGate?.releaseNumber === deployment.releaseNumber && e.healthGate.status !== 'baking');
    expect(ended.healthGate).toMatchObject({ status: 'failed' });
    expect(ended.healthGate!.reason).toMatch(/^\d+% 5xx over \d+ s/);
    // Ended by the restarted server: the killed one had not judged it yet.
    expect(Date.parse(ended.healthGate!.finishedAt!)).toBeGreaterThan(killedAt);
    await until(async () => (await w.run(['logs', ended.healthGate!.rollbackDeploymentId!, '-w', w.ws, '--json'])).json<{ end: { status: string } | null }>(), (r) => r.end !== null && r.end.status !== 'running');
    await expect.poll(async () => (await viaProxy(w.proxyPort, prod())).body, { timeout: 30_000 }).toBe('hello | good\n');
  }, 240_000);
});
