/**
 * What an environment that requires approval runs with is for admins and owners to change, as
 * GitHub's environment secrets and GitLab's protected variables are: its config layer, its
 * secrets and the services attached to it (the variables they inject). Approval guards which
 * image runs there; without this a developer could still change what it runs with — a
 * `DATABASE_URL` — and roll it at once, or stage it for the next approved release. The project's
 * base layer feeds every environment, so while any of them requires approval the same holds for
 * it. Reading stays open to every role; an unprotected environment is the developers' as before.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import type { Role } from '../core/roles.js';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';
import type { Executor } from '../store/schema.js';
import { environmentsRequiringApproval, gatesOf } from './gates.js';

/** A layer: the project's base (no environment) or one environment's. */
export type LayerAccess = ProjectAccess & Partial<Pick<EnvironmentAccess, 'environment'>>;

/** The roles that change what a protected environment runs with. */
export function mayChangeProtected(role: Role): boolean {
  return role === 'admin' || role === 'owner';
}

/**
 * The environments that require approval whose variables this layer sets: the environment
 * itself when it requires approval, or for the base layer every environment of the project that
 * does (empty: every role that may write config changes it).
 */
export async function approvalEnvironmentsOf(db: Executor, access: LayerAccess): Promise<string[]> {
  const env = access.environment;
  if (!env) return environmentsRequiringApproval(db, access.project.id);
  const gates = await gatesOf(db, { workspace: access.workspace.name, project: access.project.name, projectId: access.project.id, environment: env.name, environmentId: env.id });
  return gates.requireApproval ? [env.name] : [];
}

/** Whether the environment requires approval (what runs there is guarded). */
export async function requiresApproval(db: Executor, access: EnvironmentAccess): Promise<boolean> {
  return (await approvalEnvironmentsOf(db, access)).length > 0;
}

const listed = (names: string[]) => (names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`);

/**
 * Throws `SLW_FORBIDDEN` (nothing stored) unless the caller may change `what` of this layer: an
 * admin or owner always, another role only where no environment it feeds requires approval.
 */
export async function assertMayChangeWhatRuns(db: Executor, access: LayerAccess, what: string): Promise<void> {
  if (mayChangeProtected(access.role)) return;
  const guarded = await approvalEnvironmentsOf(db, access);
  if (guarded.length === 0) return;
  const project = access.project.name;
  if (access.environment) {
    throw new SlipwayError('SLW_FORBIDDEN', `${project}/${access.environment.name} requires approval, so only an admin or owner may change ${what} (your role: ${access.role}); ask an admin or owner to make this change`);
  }
  throw new SlipwayError(
    'SLW_FORBIDDEN',
    `the base layer of ${project} feeds ${listed(guarded)}, which require${guarded.length === 1 ? 's' : ''} approval, so only an admin or owner may change ${what} (your role: ${access.role}); ask an admin or owner, or set it on an unprotected environment's own layer (-e ENV)`,
  );
}
