/**
 * Which credential generation of each attachment a release runs with: recorded on the release
 * when it is made, read by the retirement sweep (an old generation is revoked once no running
 * release records it).
 *
 * @module
 */
import type { Executor } from '../store/schema.js';

/** Attachment id → credential generation. */
export type CredentialGenerations = Record<string, number>;

/** The generations a release of the environment made now would run with (attached, not detaching). */
export async function currentGenerations(db: Executor, environmentId: string): Promise<CredentialGenerations> {
  const rows = await db.selectFrom('service_attachments').select(['id', 'generation']).where('environment_id', '=', environmentId).where('state', '=', 'attached').execute();
  return Object.fromEntries(rows.map((r) => [r.id, r.generation]));
}

export function parseGenerations(json: string): CredentialGenerations {
  const value = JSON.parse(json) as unknown;
  return typeof value === 'object' && value !== null ? (value as CredentialGenerations) : {};
}
