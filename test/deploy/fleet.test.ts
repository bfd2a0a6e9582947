/**
 * A hundred environments deployed at once on the local Docker engine behind Caddy, on one server:
 * every deployment reaches `succeeded`, every environment answers through the proxy with the
 * site built once, and the status page reports them healthy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from '../support/server-process.js';
import { viaProxy } from '../support/deploy.js';
import { fleetWorld, type FleetWorld } from '../support/fleet.js';

let w: FleetWorld;

beforeAll(async () => {
  w = await fleetWorld('fleet');
}, 300_000);

afterAll(async () => {
  await w?.dispose();
  await cleanup();
}, 300_000);

describe('a fleet of environments', () => {
  it('deploys 100 environments at once; all succeed and serve', async () => {
    const names = await w.environments('site', 100);
    const ids = await w.deployAll(names);
    expect(new Set(ids).size).toBe(100);
    const statuses = await w.waitAll(ids, 540_000);
    const failed = [...statuses].filter(([, s]) => s !== 'succeeded');
    const why = await Promise.all(failed.slice(0, 5).map(async ([id]) => (await w.admin.get(`/api/v1/workspaces/${w.ws}/deployments/${id}`)).json));
    expect(why).toEqual([]);
    for (const name of [names[0]!, names[49]!, names[99]!]) {
      const r = await viaProxy(w.proxyPort, `${name}.site.${w.ws}.localhost`);
      expect(r.status).toBe(200);
      expect(r.body).toMatch(/<h1>fleet<\/h1>/);
    }
    const status = await w.admin.get(`/api/v1/workspaces/${w.ws}/projects/site/status`);
    const environments = (status.json as { environments: Array<{ name: string; health: string }> }).environments.filter((e) => e.name.startsWith('site-'));
    expect(environments).toHaveLength(100);
    expect(environments.filter((e) => e.health !== 'healthy')).toEqual([]);
  }, 600_000);
});
