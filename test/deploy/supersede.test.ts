/**
 * Emergencies on the real Docker engine and Caddy, under load: a rollback while a deploy runs
 * (before its traffic switch: it is undone; after it: it completes first) and `slipway scale`
 * of a running environment — each with zero failed requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from '../support/server-process.js';
import { deployWorld, loadGenerator, viaProxy, type DeployWorld } from '../support/deploy.js';

let w: DeployWorld;
const prod = () => `prod.shop.${w.ws}.localhost`;
const args = (...more: string[]) => [...more, '-w', w.ws, '-p', 'shop', '-e', 'prod'];

beforeAll(async () => {
  // A long drain, so that a deploy stays after its switch long enough to be superseded there.
  w = await deployWorld({ workspace: 'emergency', env: { SLIPWAY_DRAIN_MS: '5000' } });
  expect((await w.run([...args('config', 'set', 'GREETING=v1'), '--no-restart'])).code).toBe(0);
  const first = await w.run([...args('deploy', '--version', '1.0.0'), '--skip-approval']);
  expect(first.code, first.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await w?.dispose();
  await cleanup();
});

interface Deployment {
  id: string;
  status: string;
  phase: string;
}

async function deployment(id: string): Promise<Deployment> {
  const res = await fetch(`${w.server.url}/api/v1/workspaces/${w.ws}/deployments/${id}`, { headers: { authorization: `Bearer ${w.server.adminToken}` } });
  return (await res.json()) as Deployment;
}

async function untilPhase(id: string, phases: string[]): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    const d = await deployment(id);
    if (phases.includes(d.phase)) return;
    if (['succeeded', 'failed', 'cancelled'].includes(d.status)) throw new Error(`deployment ${id} ended (${d.status}) before ${phases.join('/')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`deployment ${id} never reached ${phases.join('/')}`);
}

const running = async () => (await w.docker(['ps', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=prod', '--format', '{{.Label "io.slipway.release"}}'])).split('\n').filter(Boolean).sort();

describe('supersede and scale under load', () => {
  it('a rollback while a deploy waits for readiness undoes it: zero failed requests, the old release serves', async () => {
    // The new release never gets ready: config pins the app to 8080 while the environment says 9999.
    expect((await w.run([...args('config', 'set', 'GREETING=v2', 'PORT=8080'), '--no-restart'])).code).toBe(0);
    expect((await w.run(args('env', 'set', '--port', '9999', '--health-timeout', '120'))).code).toBe(0);
    const load = loadGenerator(w.proxyPort, prod());
    const stuck = await w.run([...args('deploy', '--version', '1.0.0'), '--skip-approval', '--detach', '--json']);
    expect(stuck.code, stuck.stderr).toBe(0);
    const stuckId = stuck.json<{ deployment: Deployment }>().deployment.id;
    await untilPhase(stuckId, ['wait-ready']);
    expect((await w.run(args('env', 'set', '--port', '8080'))).code).toBe(0);
    const back = await w.run([...args('rollback', '--to', '1'), '--skip-approval', '--json']);
    const result = await load.stop();
    expect(back.code, back.stderr).toBe(0);
    expect(back.json<{ superseded: { id: string; status: string } }>().superseded).toMatchObject({ id: stuckId, status: 'cancelling' });
    expect(await deployment(stuckId)).toMatchObject({ status: 'cancelled' });
    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.sent).toBeGreaterThan(100);
    expect((await viaProxy(w.proxyPort, prod())).body).toBe('v1 | built once\n');
    expect(await running()).toEqual(['3']);
  }, 240_000);

  it('a rollback after a deploy switched traffic lets it complete first, then rolls back: zero failed requests', async () => {
    expect((await w.run([...args('config', 'set', 'GREETING=v4'), '--no-restart'])).code).toBe(0);
    expect((await w.run([...args('config', 'unset', 'PORT'), '--no-restart'])).code).toBe(0);
    const load = loadGenerator(w.proxyPort, prod());
    const next = await w.run([...args('deploy', '--version', '1.0.0'), '--skip-approval', '--detach', '--json']);
    const nextId = next.json<{ deployment: Deployment }>().deployment.id;
    await untilPhase(nextId, ['drain']);
    expect((await viaProxy(w.proxyPort, prod())).body).toBe('v4 | built once\n');
    const back = await w.run([...args('rollback'), '--skip-approval', '--json']);
    const result = await load.stop();
    expect(back.code, back.stderr).toBe(0);
    expect(back.json<{ superseded: { id: string } }>().superseded.id).toBe(nextId);
    expect(await deployment(nextId)).toMatchObject({ status: 'succeeded' });
    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
    expect((await viaProxy(w.proxyPort, prod())).body).toBe('v1 | built once\n');
    // The rollback made release #1's config the environment's config: the next deploy runs it too.
    const config = (await w.run([...args('config', 'get'), '--json'])).json<{ entries: Array<{ key: string; value: string }> }>();
    expect(config.entries.find((e) => e.key === 'GREETING')?.value).toBe('v1');
    const again = await w.run([...args('deploy', '--version', '1.0.0'), '--skip-approval']);
    expect(again.code, again.stderr).toBe(0);
    expect((await viaProxy(w.proxyPort, prod())).body).toBe('v1 | built once\n');
  }, 240_000);

  it('scale 3 then 1: the replicas serve within seconds, no new release, zero failed requests', async () => {
    const releasesBefore = (await w.run(['releases', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json'])).json<{ releases: unknown[] }>().releases.length;
    const load = loadGenerator(w.proxyPort, prod());
    const up = await w.run(args('scale', '3', '--json'));
    expect(up.code, up.stderr).toBe(0);
    expect((await running()).length).toBe(3);
    const status = (await w.run(['status', '-w', w.ws, '-p', 'shop', '--json'])).json<{ environments: Array<{ name: string; replicas: { ready: number; desired: number } }> }>();
    expect(status.environments.find((e) => e.name === 'prod')!.replicas).toMatchObject({ ready: 3, desired: 3 });
    const down = await w.run([...args('env', 'set', '--replicas', '1'), '--json']);
    expect(down.code, down.stderr).toBe(0);
    const scaling = down.json<{ scaling: { id: string } | null }>().scaling;
    expect(scaling).not.toBeNull();
    const followed = await w.run(['logs', scaling!.id, '-w', w.ws, '--follow', '--json']);
    expect(followed.json<{ end: { status: string } }>().end.status).toBe('succeeded');
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
    expect(result.sent).toBeGreaterThan(100);
    expect((await running()).length).toBe(1);
    expect((await w.run(['releases', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json'])).json<{ releases: unknown[] }>().releases.length).toBe(releasesBefore);
  }, 240_000);
});
