/**
 * The services sweep, level-based like the deploy controller: finishes what attach/rotate/detach
 * left for later, once no running release needs it.
 *
 * - A `retiring` credential generation (replaced by a rotation) is revoked on the server when its
 *   environment has no deployment in flight and the release that runs does not use it (it runs a
 *   newer generation, or none, or nothing runs). Revoking ends the user's open sessions.
 * - A `detaching` attachment (detached, or its environment deleted) loses every credential the
 *   same way, and with `drop_data` its database / vhost / keys; then its rows go.
 *
 * A server that does not answer leaves the row as it is, for the next sweep.
 *
 * @module
 */
import type { Logger } from 'pino';
import type { ServiceKind } from '../core/services.js';
import { recordAudit, systemActor } from '../audit/audit.js';
import { nowIso } from '../platform/time.js';
import type { Executor, ServiceAttachmentsTable, ServicesTable } from '../store/schema.js';
import { announceService, attachmentWhere } from './changes.js';
import { parseGenerations } from './generations.js';
import { adminOf, type ServiceContext } from './services.js';

/** The generation the running release uses, `null` if it uses none, or `busy` while a deployment is in flight. */
async function inUse(db: Executor, environmentId: string, attachmentId: string): Promise<number | null | 'busy'> {
  const active = await db.selectFrom('deployments').select('id').where('environment_id', '=', environmentId).where('status', 'in', ['queued', 'running', 'cancelling']).executeTakeFirst();
  if (active) return 'busy';
  const live = await db.selectFrom('releases').select('service_credentials').where('environment_id', '=', environmentId).where('status', '=', 'succeeded').orderBy('number', 'desc').executeTakeFirst();
  if (!live) return null;
  return parseGenerations(live.service_credentials)[attachmentId] ?? null;
}

export interface SweepResult {
  revoked: number;
  detached: number;
}

/** One pass over what waits to be revoked or detached. */
export async function retire(ctx: ServiceContext, logger?: Logger): Promise<SweepResult> {
  const result: SweepResult = { revoked: 0, detached: 0 };
  const retiring = await ctx.db
    .selectFrom('service_credentials as c')
    .innerJoin('service_attachments as a', 'a.id', 'c.attachment_id')
    .select(['c.id', 'c.generation', 'c.username', 'a.id as attachment_id', 'a.environment_id', 'a.resource', 'a.service_id'])
    .where('c.state', '=', 'retiring')
    .where('a.state', '=', 'attached')
    .execute();
  for (const c of retiring) {
    const used = await inUse(ctx.db, c.environment_id, c.attachment_id);
    if (used === 'busy' || (used !== null && used <= c.generation)) continue;
    const service = await ctx.db.selectFrom('services').selectAll().where('id', '=', c.service_id).executeTakeFirstOrThrow();
    try {
      await ctx.drivers[service.kind as ServiceKind].revokeUser(await adminOf(ctx, service), c.resource, c.username);
    } catch (error) {
      logger?.warn({ err: error, service: service.name, generation: c.generation }, 'could not revoke retired service credentials; trying again later');
      continue;
    }
    await ctx.db.updateTable('service_credentials').set({ state: 'revoked', revoked_at: nowIso() }).where('id', '=', c.id).execute();
    result.revoked += 1;
  }
  const detaching = await ctx.db.selectFrom('service_attachments').selectAll().where('state', '=', 'detaching').execute();
  for (const a of detaching) {
    if ((await inUse(ctx.db, a.environment_id, a.id)) !== null) continue;
    const service = await ctx.db.selectFrom('services').selectAll().where('id', '=', a.service_id).executeTakeFirstOrThrow();
    try {
      await finishDetach(ctx, service, a);
    } catch (error) {
      logger?.warn({ err: error, service: service.name }, 'could not finish detaching a service; trying again later');
      continue;
    }
    result.detached += 1;
  }
  return result;
}

async function finishDetach(ctx: ServiceContext, service: ServicesTable, a: ServiceAttachmentsTable): Promise<void> {
  // A custom service's attachment made nothing on the server: nothing to revoke, and the server need not answer.
  if (service.kind !== 'custom') {
    const driver = ctx.drivers[service.kind as ServiceKind];
    const admin = await adminOf(ctx, service);
    const credentials = await ctx.db.selectFrom('service_credentials').select(['id', 'username']).where('attachment_id', '=', a.id).where('state', '!=', 'revoked').execute();
    for (const c of credentials) await driver.revokeUser(admin, a.resource, c.username);
    if (a.drop_data === 1) await driver.dropResource(admin, a.resource);
  }
  await ctx.db.transaction().execute(async (tx) => {
    await tx.deleteFrom('service_credentials').where('attachment_id', '=', a.id).execute();
    await tx.deleteFrom('service_attachments').where('id', '=', a.id).execute();
    await recordAudit(tx, systemActor, { workspaceId: a.workspace_id, action: 'service.detached', targetType: 'service', target: service.name, details: service.kind === 'custom' ? { as: a.prefix } : { resource: a.resource, dataDropped: a.drop_data === 1, ...(a.drop_data === 1 ? {} : { dataKeptIn: a.resource }) } });
  });
  announceService(a.workspace_id, service.name, 'detached', await attachmentWhere(ctx.db, a.environment_id));
}
