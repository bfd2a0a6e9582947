/**
 * Shared setup for the store-backed service tests (src/<context>/*.test.ts): a fresh store with
 * its first admin, and helpers that build workspaces, projects, environments and members through
 * the real services (no HTTP; the API-level helpers are in fixtures.ts).
 */
import { randomBytes } from 'node:crypto';
import { isSlipwayError, type ErrorCode, type SlipwayError } from '../../src/core/errors.js';
import type { Role } from '../../src/core/roles.js';
import { tokenHint } from '../../src/core/tokens.js';
import { newId } from '../../src/platform/ids.js';
import { nowIso } from '../../src/platform/time.js';
import { createProject, resolveEnvironment, resolveProject, type EnvironmentAccess, type ProjectAccess } from '../../src/projects/projects.js';
import { masterKeyring } from '../../src/secrets/keyring.js';
import type { Keyring } from '../../src/secrets/secrets.js';
import type { Store } from '../../src/store/open.js';
import type { Db } from '../../src/store/schema.js';
import { bootstrapFirstAdmin } from '../../src/tenancy/bootstrap.js';
import { addMember } from '../../src/tenancy/members.js';
import type { Principal, WorkspaceAccess } from '../../src/tenancy/principal.js';
import { authenticate, createToken, hashToken, mintToken } from '../../src/tenancy/tokens.js';
import { createWorkspace, resolveWorkspace } from '../../src/tenancy/workspaces.js';
import { openTestStore, type Engine } from './engines.js';

/** A fresh store with its first admin authenticated. */
export interface TestContext {
  engine: Engine;
  store: Store;
  db: Db;
  /** The first admin (instance token). */
  admin: Principal;
  adminToken: string;
  cleanup: () => Promise<void>;
}

/** Opens a fresh migrated store on `engine` and bootstraps the first admin. */
export async function setupContext(engine: Engine): Promise<TestContext> {
  const { store, cleanup } = await openTestStore(engine);
  const boot = await bootstrapFirstAdmin(store.db);
  if (!boot) throw new Error('a fresh store should bootstrap its first admin');
  const admin = await authenticate(store.db, `Bearer ${boot.token}`);
  return { engine, store, db: store.db, admin, adminToken: boot.token, cleanup };
}

/** Creates a workspace as the admin and returns the admin's (owner) access to it. */
export async function workspace(ctx: TestContext, name: string, tier = 'high'): Promise<WorkspaceAccess> {
  await createWorkspace(ctx.db, ctx.admin, { name, tier });
  return resolveWorkspace(ctx.db, ctx.admin, name);
}

/** Creates a project in the workspace and returns access to it. */
export async function project(ctx: TestContext, access: WorkspaceAccess, name: string): Promise<ProjectAccess> {
  await createProject(ctx.db, access, { name });
  return resolveProject(ctx.db, access, name);
}

/** Adds `email` to the workspace with `role` and returns access to its project `name` as that member. */
export async function projectAs(ctx: TestContext, access: WorkspaceAccess, name: string, email: string, role: Role): Promise<ProjectAccess> {
  const { principal } = await member(ctx, access, email, role);
  return resolveProject(ctx.db, await resolveWorkspace(ctx.db, principal, access.workspace.name), name);
}

/** Access to an existing environment of a project. */
export function environment(ctx: TestContext, access: ProjectAccess, name: string): Promise<EnvironmentAccess> {
  return resolveEnvironment(ctx.db, access, name);
}

/**
 * Adds `email` to the workspace with `role` and returns a principal for them through a workspace
 * token of `tokenRole` (default: the same role), plus the token value.
 */
export async function member(ctx: TestContext, access: WorkspaceAccess, email: string, role: Role, tokenRole: Role = role): Promise<{ principal: Principal; token: string; tokenId: string }> {
  await addMember(ctx.db, access, { email, role });
  const created = await createToken(ctx.db, access, { name: `${email} token`, role: tokenRole, memberEmail: email });
  return { principal: await authenticate(ctx.db, `Bearer ${created.token}`), token: created.token, tokenId: created.id };
}

/**
 * Inserts an instance token (no workspace scope) for an existing user directly, as the API has
 * no way to make one for a non-admin; used to test membership checks without a token scope.
 */
export async function instanceTokenFor(db: Db, userId: string): Promise<Principal> {
  const token = mintToken();
  await db
    .insertInto('tokens')
    .values({ id: newId('tok'), workspace_id: null, user_id: userId, role: null, name: 'instance', hint: tokenHint(token), hash: hashToken(token), created_at: nowIso(), created_by: null, expires_at: null, revoked_at: null, last_used_at: null })
    .execute();
  return authenticate(db, `Bearer ${token}`);
}

/** A keyring over a fresh random master key. */
export function testKeyring(): Keyring {
  return masterKeyring(randomBytes(32));
}

/** The number of audit rows (of one workspace, when given). */
export async function auditCount(db: Db, workspaceId?: string): Promise<number> {
  let q = db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n'));
  if (workspaceId) q = q.where('workspace_id', '=', workspaceId);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Runs `fn`, expects it to throw a SlipwayError with `code`, and returns that error. */
export async function expectCode(fn: () => Promise<unknown>, code: ErrorCode): Promise<SlipwayError> {
  let thrown: unknown;
  try {
    await fn();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) throw new Error(`expected ${code}, but nothing was thrown`);
  if (!isSlipwayError(thrown)) throw new Error(`expected ${code}, got a non-Slipway error: ${String(thrown)}`, { cause: thrown });
  if (thrown.code !== code) throw new Error(`expected ${code}, got ${thrown.code}: ${thrown.message}`, { cause: thrown });
  return thrown;
}
