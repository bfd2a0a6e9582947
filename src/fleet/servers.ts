/**
 * Servers: added by an instance admin with a single-use join token, joined by their agent
 * (src/fleet/enroll.ts), listed with what their agent last reported, revoked (the live session
 * drops at once and every later handshake is refused), removed once nothing is placed on them.
 *
 * @module
 */
import type { CertificateStateMessage, EdgeAcme } from '../api/agent-protocol.js';
import type { JoinTokenInfo, ServerInfo, ServerMetrics, ServerMetricsHistory } from '../api/servers.js';
import { recordAudit } from '../audit/audit.js';
import { SlipwayError, notFound } from '../core/errors.js';
import { assertName } from '../core/names.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Db, Executor, ServersTable } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';
import { actorOf, type Principal } from '../tenancy/principal.js';
import { resolveWorkspace } from '../tenancy/workspaces.js';
import type { InternalCa } from './ca.js';
import type { FleetState } from './desired.js';
import { encodeJoinToken, hashSecret, newSecret } from './join-token.js';
import { closeCodes, type AgentSessions } from './sessions.js';

/** What the fleet context needs from the server. */
export interface FleetContext {
  db: Db;
  ca: InternalCa;
  sessions: AgentSessions;
  /** The URL agents dial (null: the gateway is off; servers cannot be joined). */
  gatewayUrl: string | null;
  /** How long an agent certificate is valid. */
  agentCertificateMs: number;
  /** Seconds between an agent's heartbeats. */
  heartbeatSeconds: number;
  /** How servers' edges get certificates for names that are not private (sent in every welcome; absent: Caddy's defaults). */
  acme?: EdgeAcme;
  /** What each server should run and what its agent reports. */
  state: FleetState;
  /** Called after a server joined, was revoked or removed (the placements reload). */
  changed?: () => Promise<void>;
}

/** Names reserved for targets the control plane has itself. */
const reserved = new Set(['local']);

const isAdmin = (principal: Principal) => principal.instanceAdmin && !principal.scope;

/**
 * The workspaces whose dedicated servers the principal manages (it owns them, and its token is
 * not scoped below owner); null: every server (an instance admin).
 */
async function managedScope(db: Executor, principal: Principal): Promise<Set<string> | null> {
  if (isAdmin(principal)) return null;
  const owned = (await db.selectFrom('members').select('workspace_id').where('user_id', '=', principal.userId).where('role', '=', 'owner').execute()).map((r) => r.workspace_id);
  const scope = principal.scope;
  return new Set(scope ? (scope.role === 'owner' ? owned.filter((id) => id === scope.workspaceId) : []) : owned);
}

/** A server the principal manages; another one answers not found (its existence is not told). */
async function findManaged(db: Executor, principal: Principal, name: string): Promise<ServersTable> {
  const scope = await managedScope(db, principal);
  const row = await db.selectFrom('servers').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row || (scope !== null && (row.workspace_id === null || !scope.has(row.workspace_id)))) {
    if (scope !== null && scope.size === 0) throw new SlipwayError('SLW_FORBIDDEN', "servers are managed by instance admins, and a workspace's dedicated servers by its owners");
    throw notFound('server', name);
  }
  return row;
}

async function workspaceName(db: Executor, id: string | null): Promise<string | null> {
  if (id === null) return null;
  return (await db.selectFrom('workspaces').select('name').where('id', '=', id).executeTakeFirst())?.name ?? null;
}

export function toServerInfo(row: ServersTable, live: { connected: boolean; lastHeartbeatMs: number | null; metrics: ServerMetrics | null }, workspace: string | null = null): ServerInfo {
  const state = row.state === 'revoked' ? 'revoked' : row.state === 'pending' ? 'pending' : live.connected ? 'connected' : 'unreachable';
  const lastBeat = live.lastHeartbeatMs !== null ? new Date(live.lastHeartbeatMs).toISOString() : row.last_heartbeat_at;
  return {
    name: row.name,
    workspace,
    state,
    labels: JSON.parse(row.labels) as Record<string, string>,
    createdAt: row.created_at,
    enrolledAt: row.enrolled_at,
    revokedAt: row.revoked_at,
    lastHeartbeatAt: lastBeat,
    agentVersion: row.agent_version,
    hostname: row.hostname,
    advertiseAddress: row.advertise_address,
    certificateExpiresAt: row.cert_not_after,
    metrics: live.metrics ?? (row.metrics ? (JSON.parse(row.metrics) as ServerMetrics) : null),
  };
}

async function issueToken(ctx: FleetContext, tx: Executor, principal: Principal, server: ServersTable, ttlSeconds: number): Promise<JoinTokenInfo> {
  if (ctx.gatewayUrl === null) throw new SlipwayError('SLW_SERVER_CONFIG', 'this control plane runs without an agent gateway: start it with --gateway-listen HOST:PORT (and --gateway-url if agents reach it at another address)');
  const id = newId('jtk');
  const secret = newSecret();
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000).toISOString();
  await tx.insertInto('server_join_tokens').values({ id, server_id: server.id, secret_hash: hashSecret(secret), created_at: nowIso(), created_by: principal.userId, expires_at: expiresAt, used_at: null }).execute();
  const joinToken = encodeJoinToken({ gatewayUrl: ctx.gatewayUrl, caPin: ctx.ca.pin, id, secret });
  return { server: toServerInfo(server, ctx.sessions.view(server.id), await workspaceName(tx, server.workspace_id)), joinToken, expiresAt, joinCommand: `slipway agent --join ${joinToken} --data-dir /var/lib/slipway-agent` };
}

export async function addServer(ctx: FleetContext, principal: Principal, input: { name: string; labels: Record<string, string>; tokenTtlSeconds: number; workspace?: string | undefined }): Promise<JoinTokenInfo> {
  // A server of the instance: instance admins. A server dedicated to a workspace: its owners too.
  let workspaceId: string | null = null;
  if (input.workspace !== undefined) {
    const access = await resolveWorkspace(ctx.db, principal, input.workspace);
    if (access.role !== 'owner' && !isAdmin(principal)) throw new SlipwayError('SLW_FORBIDDEN', `only an owner of workspace '${input.workspace}' (or an instance admin) can add a server dedicated to it (your role: ${access.role})`);
    workspaceId = access.workspace.id;
  } else if (!isAdmin(principal)) {
    throw new SlipwayError('SLW_FORBIDDEN', "servers of the instance are added by instance admins; a workspace owner can add one dedicated to the workspace (slipway server add NAME -w WORKSPACE)");
  }
  assertName('server', input.name);
  if (reserved.has(input.name)) throw new SlipwayError('SLW_ALREADY_EXISTS', `'${input.name}' is the control plane's own target; pick another server name`);
  const row: ServersTable = { id: newId('srv'), name: input.name, workspace_id: workspaceId, labels: JSON.stringify(input.labels), state: 'pending', created_at: nowIso(), created_by: principal.userId, enrolled_at: null, revoked_at: null, agent_version: null, hostname: null, advertise_address: null, cert_serial: null, cert_not_after: null, last_heartbeat_at: null, metrics: null };
  try {
    return await ctx.db.transaction().execute(async (tx) => {
      await tx.insertInto('servers').values(row).execute();
      const token = await issueToken(ctx, tx, principal, row, input.tokenTtlSeconds);
      await recordAudit(tx, actorOf(principal), { workspaceId, action: 'server.add', targetType: 'server', target: input.name, details: { labels: input.labels, tokenExpiresAt: token.expiresAt, dedicated: workspaceId !== null } });
      return token;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_ALREADY_EXISTS', `server '${input.name}' already exists (slipway server list)`);
    throw error;
  }
}

/** A new join token for a server whose agent has not joined yet (the earlier tokens stay valid until they expire). */
export async function newJoinToken(ctx: FleetContext, principal: Principal, name: string, ttlSeconds: number): Promise<JoinTokenInfo> {
  return ctx.db.transaction().execute(async (tx) => {
    const row = await findManaged(tx, principal, name);
    if (row.state === 'revoked') throw new SlipwayError('SLW_SERVER_REVOKED', `server '${name}' was revoked; remove it (slipway server remove ${name}) and add it again`);
    if (row.state !== 'pending') throw new SlipwayError('SLW_ALREADY_EXISTS', `server '${name}' has joined already; its agent renews its own certificate (to move the agent, revoke and remove the server, then add it again)`);
    const token = await issueToken(ctx, tx, principal, row, ttlSeconds);
    await recordAudit(tx, actorOf(principal), { workspaceId: row.workspace_id, action: 'server.token', targetType: 'server', target: name, details: { tokenExpiresAt: token.expiresAt } });
    return token;
  });
}

export async function listServers(ctx: FleetContext, principal: Principal): Promise<ServerInfo[]> {
  const scope = await managedScope(ctx.db, principal);
  if (scope !== null && scope.size === 0) throw new SlipwayError('SLW_FORBIDDEN', "servers are managed by instance admins, and a workspace's dedicated servers by its owners");
  let q = ctx.db.selectFrom('servers as s').leftJoin('workspaces as w', 'w.id', 's.workspace_id').selectAll('s').select('w.name as workspace_name');
  if (scope !== null) q = q.where('s.workspace_id', 'in', [...scope]);
  const rows = await q.orderBy('s.name').execute();
  return rows.map(({ workspace_name, ...r }) => toServerInfo(r, ctx.sessions.view(r.id), workspace_name ?? null));
}

export async function showServer(ctx: FleetContext, principal: Principal, name: string): Promise<ServerInfo> {
  const row = await findManaged(ctx.db, principal, name);
  return { ...toServerInfo(row, ctx.sessions.view(row.id), await workspaceName(ctx.db, row.workspace_id)), placed: await placedOn(ctx.db, row) };
}

/** What the agent reported over the last hour (for the panel's charts). */
export async function serverMetricsHistory(ctx: FleetContext, principal: Principal, name: string): Promise<ServerMetricsHistory> {
  const row = await findManaged(ctx.db, principal, name);
  return { server: row.name, samples: ctx.sessions.samples(row.id).map((x) => ({ at: new Date(x.at).toISOString(), metrics: x.metrics })) };
}

/** Asks a connected server's agent for a new key and certificate now (after a suspected leak, or to test renewal). */
export async function rotateServerKey(ctx: FleetContext, principal: Principal, name: string): Promise<ServerInfo> {
  const row = await findManaged(ctx.db, principal, name);
  if (row.state === 'revoked') throw new SlipwayError('SLW_SERVER_REVOKED', `server '${name}' was revoked`);
  if (!ctx.sessions.send(row.id, { type: 'rotate' })) throw new SlipwayError('SLW_SERVER_UNREACHABLE', `server '${name}' has no live session now (slipway server show ${name}); its agent renews on its own at two thirds of its certificate's life`);
  await recordAudit(ctx.db, actorOf(principal), { workspaceId: row.workspace_id, action: 'server.rotate', targetType: 'server', target: name, details: { certificateSerial: row.cert_serial } });
  return toServerInfo(row, ctx.sessions.view(row.id), await workspaceName(ctx.db, row.workspace_id));
}

/** Revokes a server for good: unused tokens are spent, the live session drops now, later handshakes are refused. */
export async function revokeServer(ctx: FleetContext, principal: Principal, name: string): Promise<ServerInfo> {
  const row = await ctx.db.transaction().execute(async (tx) => {
    const r = await findManaged(tx, principal, name);
    if (r.state === 'revoked') return r;
    const at = nowIso();
    await tx.updateTable('servers').set({ state: 'revoked', revoked_at: at }).where('id', '=', r.id).execute();
    await tx.updateTable('server_join_tokens').set({ used_at: at }).where('server_id', '=', r.id).where('used_at', 'is', null).execute();
    await recordAudit(tx, actorOf(principal), { workspaceId: r.workspace_id, action: 'server.revoke', targetType: 'server', target: name, details: { certificateSerial: r.cert_serial } });
    return { ...r, state: 'revoked', revoked_at: at };
  });
  ctx.sessions.drop(row.id, closeCodes.revoked, 'this server was revoked');
  await ctx.changed?.();
  return toServerInfo(row, ctx.sessions.view(row.id), await workspaceName(ctx.db, row.workspace_id));
}

/** Whether a placement (`a`, `a,b`, `label:k=v`) includes the server. */
function includes(target: string, server: { name: string; labels: Record<string, string> }): boolean {
  if (target.startsWith('label:')) {
    const [key, value] = target.slice('label:'.length).split('=') as [string, string];
    return server.labels[key] === value;
  }
  return target.split(',').includes(server.name);
}

/** What is placed on a server: environments (alone, among several servers, or by label) and provisioned services. */
async function placedOn(db: Executor, server: ServersTable): Promise<string[]> {
  const info = { name: server.name, labels: JSON.parse(server.labels) as Record<string, string> };
  const settings = await db.selectFrom('environment_settings as s').innerJoin('environments as e', 'e.id', 's.environment_id').innerJoin('projects as p', 'p.id', 'e.project_id').innerJoin('workspaces as w', 'w.id', 'p.workspace_id').select(['s.data', 'e.name as environment', 'p.name as project', 'w.name as workspace']).where('s.data', 'like', '%"target"%').execute();
  const envs = settings.filter((s) => includes((JSON.parse(s.data) as { target?: string }).target ?? 'local', info)).map((s) => `${s.workspace}/${s.project}/${s.environment}`);
  const services = await db.selectFrom('provisioned_services as p').innerJoin('services as s', 's.id', 'p.service_id').select('s.name').where('p.placement', '=', server.name).execute();
  return [...envs.sort(), ...services.map((s) => `service ${s.name}`)];
}

export async function removeServer(ctx: FleetContext, principal: Principal, name: string): Promise<{ deleted: string }> {
  const row = await ctx.db.transaction().execute(async (tx) => {
    const r = await findManaged(tx, principal, name);
    const placed = await placedOn(tx, r);
    if (placed.length > 0) throw new SlipwayError('SLW_SERVER_IN_USE', `server '${name}' still has ${placed.length} placed on it (${placed.slice(0, 5).join(', ')}); move them to another target first (slipway env set --target)`);
    await tx.deleteFrom('server_join_tokens').where('server_id', '=', r.id).execute();
    await tx.deleteFrom('server_desired').where('server_id', '=', r.id).execute();
    await tx.deleteFrom('servers').where('id', '=', r.id).execute();
    await recordAudit(tx, actorOf(principal), { workspaceId: r.workspace_id, action: 'server.remove', targetType: 'server', target: name, details: { state: r.state } });
    return r;
  });
  ctx.sessions.drop(row.id, closeCodes.revoked, 'this server was removed');
  ctx.sessions.forget(row.id);
  await ctx.changed?.();
  return { deleted: name };
}

/** The certificates of `domains` on the edges of the servers a placement (`a`, `a,b`, `label:k=v`) includes (local has none). */
export async function certificatesOn(ctx: FleetContext | undefined, target: string, domains: string[]): Promise<Array<CertificateStateMessage & { server: string }>> {
  if (!ctx) return [];
  const rows = await ctx.db.selectFrom('servers').select(['id', 'name', 'labels', 'workspace_id']).orderBy('name').execute();
  return rows
    // A label placement picks only the instance's servers, never one dedicated to a workspace.
    .filter((row) => (row.workspace_id === null || !target.startsWith('label:')) && includes(target, { name: row.name, labels: JSON.parse(row.labels) as Record<string, string> }))
    .flatMap((row) => ctx.state.certificatesOf(row.id, domains).map((c) => ({ server: row.name, ...c })));
}
