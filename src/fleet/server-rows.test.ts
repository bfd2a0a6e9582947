/**
 * Batched liveness writes, on both engines: the fields of one server written in one turn are
 * merged (the last value of a field wins, the others kept), more rows than one transaction holds
 * are all written, writes made while a batch is being stored go in the next one, and an update of
 * a server whose row is gone changes nothing else.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { engines } from '../../test/support/engines.js';
import { setupContext, type TestContext } from '../../test/support/service-fixtures.js';
import { ServerRows } from './server-rows.js';

describe.each(engines)('server rows (%s)', (engine) => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await setupContext(engine);
  });
  afterEach(async () => {
    await ctx.cleanup();
  });

  async function servers(n: number): Promise<string[]> {
    const rows = Array.from({ length: n }, (_, i) => ({ id: newId('srv'), name: `s${i}`, workspace_id: null, labels: '{}', state: 'active', created_at: nowIso(), created_by: null, enrolled_at: nowIso(), revoked_at: null, agent_version: null, hostname: null, advertise_address: null, cert_serial: null, cert_not_after: null, last_heartbeat_at: null, metrics: null }));
    await ctx.db.insertInto('servers').values(rows).execute();
    return rows.map((r) => r.id);
  }

  it('merges the fields of one server and writes every server, beyond one transaction', async () => {
    const ids = await servers(450);
    const rows = new ServerRows(ctx.db);
    const writes = ids.flatMap((id, i) => [rows.update(id, { hostname: `h${i}`, agent_version: '1.0.0', last_heartbeat_at: 'a' }), rows.update(id, { last_heartbeat_at: `b${i}`, metrics: '{}' })]);
    await Promise.all(writes);
    const stored = await ctx.db.selectFrom('servers').select(['id', 'hostname', 'agent_version', 'last_heartbeat_at', 'metrics']).execute();
    const byId = new Map(stored.map((r) => [r.id, r]));
    ids.forEach((id, i) => expect(byId.get(id)).toEqual({ id, hostname: `h${i}`, agent_version: '1.0.0', last_heartbeat_at: `b${i}`, metrics: '{}' }));
  });

  it('writes what comes in during a batch in the next one, and is idle after', async () => {
    const [a, b] = await servers(2);
    const rows = new ServerRows(ctx.db);
    const first = rows.update(a!, { hostname: 'one' });
    // Queued behind the first batch's transaction.
    const second = first.then(() => rows.update(a!, { hostname: 'two' }));
    const other = rows.update(b!, { hostname: 'b' });
    await Promise.all([first, second, other]);
    await rows.idle();
    const stored = await ctx.db.selectFrom('servers').select(['id', 'hostname']).orderBy('name').execute();
    expect(stored.map((r) => r.hostname)).toEqual(['two', 'b']);
    // A removed server's row: nothing to update, nothing fails.
    await ctx.db.deleteFrom('servers').where('id', '=', b!).execute();
    await rows.update(b!, { hostname: 'gone' });
    expect(await ctx.db.selectFrom('servers').select('id').execute()).toHaveLength(1);
  });
});
