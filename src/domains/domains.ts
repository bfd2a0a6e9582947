/**
 * Custom domains, unique across the instance: the `domains` table holds every custom domain an
 * environment set (primary key: the domain), so two environments can never hold the same one,
 * even when they claim it at the same moment. Default domains are not stored: the reservation
 * rule (core/domains.ts) keeps every custom domain out of the default-domain space of others.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { assertCustomDomainAllowed, type EnvironmentNames } from '../core/domains.js';
import { nowIso } from '../platform/time.js';
import { lockEnvironment } from '../store/locks.js';
import type { Executor } from '../store/schema.js';

/** The environment a custom domain is claimed for. */
export interface DomainOwner {
  workspaceId: string;
  environmentId: string;
  names: EnvironmentNames;
}

/**
 * Makes `domain` (null: none, the default domain applies) the environment's custom domain inside
 * the caller's transaction: checks the reservation rule, then claims it in the unique index.
 * Throws `SLW_DOMAIN_RESERVED`, or `SLW_ALREADY_EXISTS` when another environment holds it.
 */
export async function claimCustomDomain(tx: Executor, owner: DomainOwner, domain: string | null | undefined): Promise<void> {
  if (domain) assertCustomDomainAllowed(domain, owner.names);
  // One settings change of an environment at a time, so its index row follows its settings.
  await lockEnvironment(tx, owner.environmentId);
  const held = domain ? await tx.selectFrom('domains').select('environment_id').where('domain', '=', domain).executeTakeFirst() : undefined;
  if (held && held.environment_id === owner.environmentId) return;
  if (held) throw taken(domain ?? '');
  await tx.deleteFrom('domains').where('environment_id', '=', owner.environmentId).execute();
  if (!domain) return;
  // A concurrent claim of the same domain waits on the primary key and then inserts nothing.
  const inserted = await tx
    .insertInto('domains')
    .values({ domain, environment_id: owner.environmentId, workspace_id: owner.workspaceId, created_at: nowIso() })
    .onConflict((oc) => oc.column('domain').doNothing())
    .returning('domain')
    .executeTakeFirst();
  if (!inserted) throw taken(domain);
}

function taken(domain: string): SlipwayError {
  return new SlipwayError('SLW_ALREADY_EXISTS', `domain ${domain} is already used by another environment; pick another domain`);
}
