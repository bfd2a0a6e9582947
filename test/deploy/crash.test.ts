/**
 * SIGKILL in the middle of a deploy, at several points, then a restart on the same data dir:
 * the deployment continues from its stored phase and completes, no container is orphaned,
 * traffic keeps flowing through Caddy (which outlives the server and is adopted again), and the
 * release history is intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from '../support/server-process.js';
import { deployWorld, loadGenerator, viaProxy, type DeployWorld } from '../support/deploy.js';

let w: DeployWorld;
const prod = () => `prod.shop.${w.ws}.localhost`;

beforeAll(async () => {
  // A long drain, so the test can kill the server between the switch and the old replica's stop.
  w = await deployWorld({ workspace: 'crash', env: { SLIPWAY_DRAIN_MS: '6000' } });
  expect((await w.run(['config', 'set', 'GREETING=v0', '-w', w.ws, '-p', 'shop', '-e', 'prod'])).code).toBe(0);
  const first = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--version', '1.0.0', '--skip-approval']);
  expect(first.code, first.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await w?.dispose();
  await cleanup();
});

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${w.server.url}${path}`, { headers: { authorization: `Bearer ${w.server.adminToken}` } });
  return (await res.json()) as T;
}

/** Waits until the deployment's log shows `step`. */
async function waitForStep(deployment: string, step: string): Promise<void> {
  const res = await fetch(`${w.server.url}/api/v1/workspaces/${w.ws}/deployments/${deployment}/events`, { headers: { authorization: `Bearer ${w.server.adminToken}` } });
  const reader = res.body!.getReader();
  let text = '';
  while (!new RegExp(`"step":"${step}"`).test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the deployment ended before step ${step}: ${text}`);
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
}

async function waitForEnd(deployment: string): Promise<string> {
  for (let i = 0; i < 600; i += 1) {
    const d = await api<{ status: string }>(`/api/v1/workspaces/${w.ws}/deployments/${deployment}`);
    if (d.status === 'succeeded' || d.status === 'failed') {
      if (d.status === 'failed') console.error('the deployment failed after the restart:', JSON.stringify(d), w.server.logs().split('\n').filter((l) => /"level":(40|50)/.test(l)).slice(-5).join('\n'));
      return d.status;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`deployment ${deployment} did not end`);
}

async function killDuring(step: string, greeting: string): Promise<{ status: string; failed: number; sent: number; failures: string[] }> {
  const load = loadGenerator(w.proxyPort, prod(), 100, 5);
  const set = await w.run(['config', 'set', `GREETING=${greeting}`, '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json']);
  const { deployment } = set.json<{ deployment: { id: string } }>();
  await waitForStep(deployment.id, step);
  await w.server.kill9();
  await new Promise((r) => setTimeout(r, 1000));
  await w.restart();
  const status = await waitForEnd(deployment.id);
  await new Promise((r) => setTimeout(r, 500));
  const result = await load.stop();
  return { status, failed: result.failed, sent: result.sent, failures: result.failures };
}

async function assertTidy(expectedBody: string): Promise<void> {
  const releases = (await w.run(['releases', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json'])).json<{ releases: Array<{ number: number; status: string }> }>().releases;
  expect(releases.filter((r) => r.status === 'pending' || r.status === 'running')).toEqual([]);
  expect(releases.filter((r) => r.status === 'succeeded')).toHaveLength(1);
  const current = releases.find((r) => r.status === 'succeeded')!;
  const containers = (await w.docker(['ps', '-a', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=prod', '--format', '{{.Label "io.slipway.release"}} {{.State}}'])).split('\n').filter(Boolean);
  expect(containers).toEqual([`${current.number} running`]);
  expect((await viaProxy(w.proxyPort, prod())).body).toBe(expectedBody);
}

describe('SIGKILL during a deploy', () => {
  it('before traffic switched: the deploy continues where it was and completes', async () => {
    const r = await killDuring('start', 'v1');
    expect(r.status).toBe('succeeded');
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.sent).toBeGreaterThan(50);
    await assertTidy('v1 | built once\n');
  }, 180_000);

  it('after traffic switched (while the old replica drains): the deploy completes', async () => {
    const r = await killDuring('switch', 'v2');
    expect(r.status).toBe('succeeded');
    expect(r.failures).toEqual([]);
    expect(r.failed).toBe(0);
    await assertTidy('v2 | built once\n');
  }, 180_000);

  it('a deploy after the restarts works as usual', async () => {
    const r = await w.run(['config', 'set', 'GREETING=v3', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json']);
    const { deployment } = r.json<{ deployment: { id: string } }>();
    expect(await waitForEnd(deployment.id)).toBe('succeeded');
    await new Promise((resolve) => setTimeout(resolve, 7000));
    await assertTidy('v3 | built once\n');
  }, 180_000);
});
