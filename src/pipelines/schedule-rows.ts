/**
 * A manifest's `schedules:` kept in the store, one row per pipeline, environment and cron:
 * applying a manifest brings the rows in step in the same transaction — a schedule still there
 * keeps its next slot, its last outcome and whether it is paused, a new one starts at its next slot after now, a removed
 * one is deleted. Running the due slots is schedules.ts's.
 *
 * @module
 */
import { parseCron, slotAfter } from '../core/cron.js';
import type { Manifest } from '../core/manifest.js';
import { newId } from '../platform/ids.js';
import type { Executor } from '../store/schema.js';

const key = (r: { pipeline: string; environment: string; cron: string }) => `${r.pipeline}\n${r.environment}\n${r.cron}`;

/** The first slot of `cron` after `at` as stored; a cron that matches no minute within five years (e.g. Feb 30) waits that long, then is asked again. */
export function nextSlot(cron: string, at: Date): string {
  return storedSlot(slotAfter(parseCron(cron), at), at);
}

/** A slot as stored: `slot`, or for none five years after `at`. */
export function storedSlot(slot: Date | null, at: Date): string {
  return (slot ?? new Date(at.getTime() + 5 * 365 * 86400_000)).toISOString();
}

/** Brings the project's schedule rows in step with `manifest` (inside the apply's transaction). */
export async function syncSchedules(tx: Executor, workspaceId: string, projectId: string, manifest: Manifest, now: Date = new Date()): Promise<void> {
  const wanted = new Map<string, { pipeline: string; environment: string; cron: string }>();
  for (const [pipeline, p] of Object.entries(manifest.pipelines)) {
    for (const s of p.schedules ?? []) wanted.set(key({ pipeline, ...s }), { pipeline, ...s });
  }
  const existing = await tx.selectFrom('pipeline_schedules').select(['id', 'pipeline', 'environment', 'cron']).where('project_id', '=', projectId).execute();
  const gone = existing.filter((r) => !wanted.has(key(r))).map((r) => r.id);
  if (gone.length > 0) await tx.deleteFrom('pipeline_schedules').where('id', 'in', gone).execute();
  const kept = new Set(existing.map(key));
  const added = [...wanted.values()].filter((s) => !kept.has(key(s)));
  if (added.length === 0) return;
  await tx
    .insertInto('pipeline_schedules')
    .values(added.map((s) => ({ id: newId('psc'), workspace_id: workspaceId, project_id: projectId, ...s, next_at: nextSlot(s.cron, now), last_slot_at: null, last_run_id: null, last_outcome: null, last_error: null, created_at: now.toISOString(), paused_at: null, paused_by: null })))
    .execute();
}
