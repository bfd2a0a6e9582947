/**
 * The record of image upgrades of provisioned services (`service_upgrades`): what `service show`
 * lists, and when a service was last upgraded.
 *
 * @module
 */
import type { Executor, ServiceUpgradesTable } from '../store/schema.js';

/** See ServiceUpgradesTable.status; `aborted`: a backup failed before anything was changed. */
export type UpgradeStatus = 'running' | 'succeeded' | 'rolled-back' | 'failed' | 'interrupted' | 'aborted';

/** One upgrade as the API shows it. */
export interface UpgradeInfo {
  id: string;
  status: UpgradeStatus;
  fromImage: string;
  fromDigest: string;
  toImage: string;
  toDigest: string;
  /** Ids of the backups taken before the image was replaced (one per attachment). */
  backups: string[];
  message: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  by: string | null;
}

export function toUpgradeInfo(row: ServiceUpgradesTable, by: string | null): UpgradeInfo {
  return { id: row.id, status: row.status as UpgradeStatus, fromImage: row.from_image, fromDigest: row.from_digest, toImage: row.to_image, toDigest: row.to_digest, backups: JSON.parse(row.backups) as string[], message: row.message, startedAt: row.started_at, finishedAt: row.finished_at, durationMs: row.duration_ms, by };
}

/** A service's upgrades, newest first. */
export async function listUpgrades(db: Executor, serviceId: string, limit = 20): Promise<UpgradeInfo[]> {
  const rows = await db.selectFrom('service_upgrades as u').leftJoin('users as x', 'x.id', 'u.created_by').selectAll('u').select('x.email').where('u.service_id', '=', serviceId).orderBy('u.started_at', 'desc').orderBy('u.id', 'desc').limit(limit).execute();
  return rows.map((r) => toUpgradeInfo(r, r.email ?? null));
}

/** When each of these services last finished an upgrade that succeeded, by service id. */
export async function lastUpgraded(db: Executor, serviceIds: string[]): Promise<Map<string, string>> {
  if (serviceIds.length === 0) return new Map();
  const rows = await db.selectFrom('service_upgrades').select(['service_id', (eb) => eb.fn.max('finished_at').as('at')]).where('service_id', 'in', serviceIds).where('status', '=', 'succeeded').groupBy('service_id').execute();
  return new Map(rows.flatMap((r) => (r.at === null ? [] : [[r.service_id, String(r.at)] as const])));
}
