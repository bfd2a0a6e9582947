/**
 * What the store keeps of custom services beyond their `services` row (`custom_services`): the
 * URL scheme, the health check, the volume path, and the environment given at create — names in
 * clear, values sealed like secrets, opened only to start the service's workload.
 *
 * @module
 */
import { formatHealth, parseHealth, type CustomHealth } from '../core/custom-services.js';
import type { Keyring } from '../secrets/secrets.js';
import type { SealedKind } from '../secrets/sealed.js';
import type { CustomServicesTable, Executor } from '../store/schema.js';

/** A custom service as the API shows it (variable names, never their values). */
export interface CustomInfo {
  /** The scheme of `<PREFIX>_URL`. */
  scheme: string;
  /** `tcp` or `http:/PATH`. */
  health: string;
  /** Provisioned: where its volume is mounted (null: none). */
  volumePath: string | null;
  /** Names of the variables given at create; their values are never shown. */
  env: string[];
}

/** The sealed-envelope id of a custom service's environment. */
export const customEnvSealId = (workspaceId: string, serviceId: string) => ({ workspaceId, projectId: 'service', scope: serviceId, name: 'env', version: 1 });

/** Every custom service's variables, for a master-key rotation. */
export const sealedCustomEnvs: SealedKind = {
  name: 'custom service variables',
  columns: ['custom_services.env_envelope'],
  async reseal(tx, reseal) {
    const rows = await tx.selectFrom('custom_services as c').innerJoin('services as s', 's.id', 'c.service_id').select(['c.service_id', 'c.env_envelope', 's.workspace_id', 's.name']).where('c.env_envelope', 'is not', null).execute();
    for (const r of rows) await tx.updateTable('custom_services').set({ env_envelope: reseal(customEnvSealId(r.workspace_id, r.service_id), r.env_envelope!, `custom service ${r.name} variables (${r.service_id})`) }).where('service_id', '=', r.service_id).execute();
    return rows.length;
  },
};

export function customInfo(row: CustomServicesTable): CustomInfo {
  return { scheme: row.scheme, health: row.health, volumePath: row.volume_path, env: JSON.parse(row.env_names) as string[] };
}

/** The custom rows of these services, by service id. */
export async function customRows(db: Executor, serviceIds: string[]): Promise<Map<string, CustomServicesTable>> {
  if (serviceIds.length === 0) return new Map();
  const rows = await db.selectFrom('custom_services').selectAll().where('service_id', 'in', serviceIds).execute();
  return new Map(rows.map((r) => [r.service_id, r]));
}

/** The row to store for a custom service; `env` is sealed (never log it). */
export function customRow(keyring: Keyring, workspaceId: string, serviceId: string, c: { scheme: string; health: CustomHealth; volumePath: string | null; env: Record<string, string> }): CustomServicesTable {
  const names = Object.keys(c.env).sort();
  return { service_id: serviceId, scheme: c.scheme, health: formatHealth(c.health), volume_path: c.volumePath, env_names: JSON.stringify(names), env_envelope: names.length === 0 ? null : keyring.seal(customEnvSealId(workspaceId, serviceId), JSON.stringify(c.env)) };
}

/** The environment given at create, opened (holds secrets: never log it). */
export function customEnv(keyring: Keyring, workspaceId: string, row: CustomServicesTable): Record<string, string> {
  return row.env_envelope === null ? {} : (JSON.parse(keyring.open(customEnvSealId(workspaceId, row.service_id), row.env_envelope)) as Record<string, string>);
}

/** The health check as stored. */
export function customHealth(row: CustomServicesTable): CustomHealth {
  return parseHealth(row.health);
}
