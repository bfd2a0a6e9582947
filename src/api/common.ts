/**
 * Schema building blocks shared by the API's areas. Rules that live in core (names, tiers, roles,
 * keys) are checked through core itself, so the API and core never disagree, and their failures
 * keep core's stable error code.
 *
 * src/api/ holds the API's request and response shapes (zod schemas and the types inferred from
 * them) and nothing else: the routes validate with them and build the OpenAPI document from them;
 * the CLI and the panel import their types only (`import type`), so neither loads zod.
 *
 * @module
 */
import { z } from 'zod';
import { isSlipwayError } from '../core/errors.js';
import { assertKey } from '../core/config.js';
import { assertName, type NamedKind } from '../core/names.js';
import { parseRole, roles } from '../core/roles.js';
import { parseTier, tiers } from '../core/tiers.js';

/** Runs a core assertion inside a zod refinement; its failure becomes an issue carrying the core error's code. */
export function coreIssue(ctx: z.RefinementCtx, check: () => unknown): void {
  try {
    check();
  } catch (error) {
    if (!isSlipwayError(error)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message, params: { code: error.code } });
  }
}

/** A string checked by a core assertion; the issue carries the core error's code. */
export function coreChecked(check: (value: string) => unknown, meta: Record<string, unknown>) {
  return z
    .string()
    .superRefine((value, ctx) => coreIssue(ctx, () => check(value)))
    .meta(meta);
}

const dnsLabelPattern = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';

/** A workspace, project or environment name (a DNS label). */
export const nameSchema = (kind: NamedKind) =>
  coreChecked((v) => assertName(kind, v), { pattern: dnsLabelPattern, maxLength: 63, description: `${kind} name: a lowercase DNS label`, examples: [kind === 'environment' ? 'staging' : 'web-shop'] });

/** A tier (parsed to the Tier type). */
export const tierSchema = coreChecked(parseTier, { enum: [...tiers], description: 'workspace tier' }).transform((v) => parseTier(v));

/** A role (parsed to the Role type). */
export const roleSchema = coreChecked(parseRole, { enum: [...roles], description: 'member or token role' }).transform((v) => parseRole(v));

/** A config or secret key (an environment variable name). */
export const keySchema = (kind: 'config' | 'secret') =>
  coreChecked((v) => assertKey(kind, v), { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 255, description: `${kind} key`, examples: ['LOG_LEVEL'] });

/** An ISO-8601 timestamp. */
export const timestamp = z.string().meta({ format: 'date-time' });

/** When log retention (`server --keep-logs`) removed a deployment's, run's or upgrade's log lines; null: they are all there. */
export const logsPrunedAt = timestamp.nullable().meta({ description: 'when log retention (`slipway server --keep-logs`) removed its log lines; null: they are all there' });

/**
 * The largest version, release number or count the store keeps: its integer columns are 32-bit
 * on PostgreSQL, so a larger number in a query or body is refused here, not by the database.
 */
export const maxStoredInt = 2_147_483_647;

/** The error body every failure answers with. */
export const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).meta({ id: 'Error' });
export type ErrorBody = z.output<typeof errorBodySchema>;

/** What a delete answers: the name of what is gone. */
export const deletedSchema = z.object({ deleted: z.string() });
export type Deleted = z.output<typeof deletedSchema>;

/** `DELETE …/environments/ENV?dropVolumes=true`: the environment's volumes are deleted with it; by default they stay. */
export const environmentDeleteQuery = z.strictObject({ dropVolumes: z.enum(['true', 'false']).default('false').meta({ description: 'true: delete the environment’s volumes and their data too (default: they stay on their target)' }) });

export const environmentDeletedSchema = deletedSchema
  .extend({
    volumes: z
      .object({
        kept: z.array(z.string()).meta({ description: 'Docker volumes left on the target with their data (docker volume rm NAME deletes one)' }),
        dropped: z.array(z.string()).meta({ description: 'Docker volumes deleted with the environment' }),
      })
      .meta({ description: 'what became of the environment’s volumes' }),
  })
  .meta({ id: 'EnvironmentDeleted' });
export type EnvironmentDeleted = z.output<typeof environmentDeletedSchema>;

/** On an environment that runs, a config or secret change rolls a new release unless `restart=false`. */
export const restartQuery = z.strictObject({ restart: z.enum(['true', 'false']).default('true').meta({ description: 'false: stage the change for the next release' }) });

/** The release a change started, if it started one. */
export const deploymentRef = z.object({ id: z.string(), releaseNumber: z.number().int() }).nullable().meta({ description: 'the deployment of the new release this change rolled, if the environment runs' });
export type DeploymentRef = z.output<typeof deploymentRef>;
