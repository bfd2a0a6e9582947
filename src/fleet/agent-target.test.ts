/**
 * The placements' snapshot of joined servers, on both engines: refreshes asked for at once (a
 * join storm) share loads, and every caller, once its refresh resolves, sees the change it made
 * before asking.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { staticPlacements } from '../deploy/placements.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Db } from '../store/schema.js';
import { engines } from '../../test/support/engines.js';
import { setupContext, testKeyring, type TestContext } from '../../test/support/service-fixtures.js';
import { FleetPlacements } from './agent-target.js';
import { FleetState } from './desired.js';
import type { WorkloadSpec } from '../deploy/target.js';
import { AgentSessions } from './sessions.js';

describe.each(engines)('fleet placements (%s)', (engine) => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await setupContext(engine);
  });
  afterEach(async () => {
    await ctx.cleanup();
  });

  it('shares loads between refreshes asked for at once; each caller sees its own change', async () => {
    let loads = 0;
    // Counts the snapshot's reads of the servers table.
    const counting = new Proxy(ctx.db, {
      get(target, key, receiver) {
        if (key === 'selectFrom') {
          return (table: 'servers') => {
            loads += 1;
            return target.selectFrom(table);
          };
        }
        return Reflect.get(target, key, receiver) as unknown;
      },
    }) as Db;
    const sessions = new AgentSessions();
    const placements = new FleetPlacements(staticPlacements({}), counting, new FleetState(ctx.db, testKeyring(), sessions));
    const join = async (i: number) => {
      await ctx.db.insertInto('servers').values({ id: newId('srv'), name: `web${i}`, workspace_id: null, labels: '{}', state: 'active', created_at: nowIso(), created_by: null, enrolled_at: nowIso(), revoked_at: null, agent_version: null, hostname: null, advertise_address: null, cert_serial: null, cert_not_after: null, last_heartbeat_at: null, metrics: null }).execute();
      await placements.refresh();
      // Once its refresh resolved, the caller's server is placeable.
      expect(placements.names()).toContain(`web${i}`);
    };
    await Promise.all(Array.from({ length: 40 }, (_, i) => join(i)));
    expect(placements.names()).toHaveLength(40);
    expect(loads).toBeLessThan(40);
  });

  it("carries an environment's volumes, with the labels they are created with, whole to the agent's desired state", async () => {
    const serverId = newId('srv');
    await ctx.db.insertInto('servers').values({ id: serverId, name: 'files', workspace_id: null, labels: '{}', state: 'active', created_at: nowIso(), created_by: null, enrolled_at: nowIso(), revoked_at: null, agent_version: null, hostname: null, advertise_address: null, cert_serial: null, cert_not_after: null, last_heartbeat_at: null, metrics: null }).execute();
    const state = new FleetState(ctx.db, testKeyring(), new AgentSessions());
    const volumes = [{ volume: 'slw-env_1-data', path: '/var/lib/app', labels: { 'io.slipway.managed': 'true', 'io.slipway.volume': 'data' } }];
    const spec: WorkloadSpec = { name: 'slw-w-p-e-r1', image: 'registry/w/p@sha256:x', registryAuth: null, env: {}, command: null, resources: { cpuMillis: null, memoryBytes: null }, volumes, networks: [], labels: { 'io.slipway.environment-id': 'env_1' }, replicas: 2, port: 8080, health: { type: 'tcp' } };
    await state.putWorkload(serverId, spec);
    const desired = await state.message(serverId);
    expect(desired.workloads).toEqual([{ name: spec.name, removed: false, spec }]);
  });
});
