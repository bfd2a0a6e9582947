/**
 * Adopting a custom service, i.e. a server at HOST:PORT that Slipway does not run (provisioned
 * custom images: src/services/provision.ts). The address is checked like any adopted service's
 * (internal addresses only with --allow-service-host) and probed with a TCP connect before
 * anything is stored. There are no admin credentials: attachments get where it answers.
 *
 * @module
 */
import { parseCustomAddress, parseHealth, parseScheme } from '../core/custom-services.js';
import { SlipwayError } from '../core/errors.js';
import { assertName } from '../core/names.js';
import { parseEndpoint, type AdminConnection } from '../core/services.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { ServicesTable } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';
import { announceService } from './changes.js';
import { customInfo, customRow } from './custom-store.js';
import { adminSealId, checkedAdmin, toInfo, type ServiceContext, type ServiceInfo } from './services.js';

export interface AdoptCustomInput {
  name: string;
  /** HOST:PORT. */
  adopt: string;
  /** HOST[:PORT] workloads use (default: the adopted address). */
  workloadAddress?: string | undefined;
  /** The scheme of `<PREFIX>_URL` (default tcp). */
  scheme?: string | undefined;
}

export async function adoptCustomService(ctx: ServiceContext, access: WorkspaceAccess, input: AdoptCustomInput): Promise<ServiceInfo> {
  assertName('service', input.name);
  const endpoint = parseCustomAddress(input.adopt);
  const workload = input.workloadAddress === undefined ? endpoint : parseEndpoint(input.workloadAddress, endpoint.port, '--workload-address');
  const scheme = parseScheme(input.scheme, parseHealth(undefined));
  const existing = await ctx.db.selectFrom('services').select('id').where('workspace_id', '=', access.workspace.id).where('name', '=', input.name).executeTakeFirst();
  if (existing) throw new SlipwayError('SLW_ALREADY_EXISTS', `service '${input.name}' already exists in workspace '${access.workspace.name}'`);
  const admin: AdminConnection = { kind: 'custom', ...endpoint, username: '', password: '', database: null, managementUrl: null };
  await ctx.drivers.custom.probe(await checkedAdmin(ctx, admin));
  const id = newId('svc');
  const row: ServicesTable = {
    id,
    workspace_id: access.workspace.id,
    name: input.name,
    kind: 'custom',
    mode: 'adopted',
    host: endpoint.host,
    port: endpoint.port,
    workload_host: workload.host,
    workload_port: workload.port,
    admin_envelope: ctx.keyring.seal(adminSealId(access.workspace.id, id), JSON.stringify(admin)),
    server_version: null,
    created_at: nowIso(),
    created_by: access.principal.userId,
  };
  const custom = customRow(ctx.keyring, access.workspace.id, id, { scheme, health: { type: 'tcp' }, volumePath: null, env: {} });
  try {
    await ctx.db.transaction().execute(async (tx) => {
      await tx.insertInto('services').values(row).execute();
      await tx.insertInto('custom_services').values(custom).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.create', targetType: 'service', target: input.name, details: { kind: 'custom', mode: 'adopted', address: `${endpoint.host}:${endpoint.port}`, workloadAddress: `${workload.host}:${workload.port}`, scheme } });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_ALREADY_EXISTS', `service '${input.name}' already exists in workspace '${access.workspace.name}'`);
    throw error;
  }
  announceService(access.workspace.id, input.name, 'created');
  return toInfo(row, 0, undefined, customInfo(custom));
}
