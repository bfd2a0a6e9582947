/**
 * RabbitMQ driver, through the management HTTP API (plugin `rabbitmq_management`, port 15672,
 * basic auth, JSON). One attachment = one vhost `slw_x`; each credential generation is a user
 * `slw_x_<n>` without tags (no management access) with configure/write/read `.*` on that vhost
 * alone. Queues and exchanges belong to the vhost, so generations share them during a rotation.
 *
 * Passwords are sent as `password_hash` (salted SHA-256, RabbitMQ's own scheme), never in plain
 * text. Deleting a user does not reliably close its AMQP connections: revoke closes them with
 * `DELETE /api/connections/username/{user}` (RabbitMQ 3.8+). Deleting a vhost closes the
 * connections into it.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AdminConnection } from '../core/services.js';
import type { ServiceDriver } from '../services/driver.js';
import { assertName, assertUserOf, authFailed, errorCodes, internal, isNetworkFailure, redact, unreachable } from './failure.js';

/** Whole-request timeout of a management API call (ms); deleting a busy vhost takes a while. */
const requestTimeoutMs = 15_000;

/** RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt ‖ SHA-256(salt ‖ password)), 4-byte salt. */
export function rabbitPasswordHash(password: string, salt: Buffer = randomBytes(4)): string {
  const digest = createHash('sha256').update(Buffer.concat([salt, Buffer.from(password, 'utf8')])).digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

function base(admin: AdminConnection): string {
  return admin.managementUrl ?? `http://${admin.host}:15672`;
}

/** Where the management API answers, for messages (never the credentials). */
function apiWhere(admin: AdminConnection): string {
  return `RabbitMQ's management API at ${base(admin)}`;
}

export async function api(admin: AdminConnection, step: string, method: string, path: string, body?: unknown, okStatuses: readonly number[] = []): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${base(admin)}/api${path}`, {
      method,
      headers: {
        authorization: `Basic ${Buffer.from(`${admin.username}:${admin.password}`, 'utf8').toString('base64')}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(requestTimeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    if (isNetworkFailure(err) || err instanceof TypeError) {
      const code = errorCodes(err).find((c) => c.startsWith('E') || c.startsWith('UND')) ?? 'no answer';
      throw unreachable(admin, `${code}; the management API (plugin rabbitmq_management, default port 15672) must answer at ${base(admin)}`);
    }
    throw internal(admin, step, err, []);
  }
  const text = await response.text().catch(() => '');
  if (response.ok || okStatuses.includes(response.status)) {
    if (text === '') return null;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return null;
    }
  }
  let reason = '';
  try {
    reason = String((JSON.parse(text) as { reason?: unknown }).reason ?? '');
  } catch {
    reason = '';
  }
  reason = redact(reason, [admin.password]).slice(0, 160);
  if (response.status === 401 || response.status === 403) {
    const rights = /not administrator|not management|access refused|not_authorised/i.test(reason) && !/login failed/i.test(reason);
    throw authFailed(admin, rights
      ? `refused to let the admin user ${step} (HTTP ${response.status}: ${reason}); it needs the administrator tag`
      : `refused the admin credentials (HTTP ${response.status}); check the user and password of the admin URL (amqp://USER:PASSWORD@HOST:5672) and that the user may use ${apiWhere(admin)}`);
  }
  throw internal(admin, step, new Error(`HTTP ${response.status}${reason === '' ? '' : `: ${reason}`}`), []);
}

const enc = encodeURIComponent;

export const rabbitmqDriver: ServiceDriver = {
  kind: 'rabbitmq',

  async probe(admin) {
    const overview = (await api(admin, 'read the overview', 'GET', '/overview')) as { rabbitmq_version?: string } | null;
    const me = (await api(admin, 'read its own user', 'GET', '/whoami')) as { tags?: string | string[] } | null;
    const tags = Array.isArray(me?.tags) ? me.tags : String(me?.tags ?? '').split(',');
    if (!tags.includes('administrator')) throw authFailed(admin, 'accepted the admin user but it lacks the administrator tag (needed to create vhosts and users); rabbitmqctl set_user_tags USER administrator');
    return { version: overview?.rabbitmq_version ?? 'unknown' };
  },

  async createResource(admin, resource) {
    assertName(resource, 'resource');
    await api(admin, 'create a vhost', 'PUT', `/vhosts/${enc(resource)}`, { description: 'Slipway attachment' });
  },

  async grantUser(admin, resource, user, password) {
    assertUserOf(resource, user);
    await api(admin, 'create a user', 'PUT', `/users/${enc(user)}`, { password_hash: rabbitPasswordHash(password), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: '' });
    await api(admin, 'set permissions', 'PUT', `/permissions/${enc(resource)}/${enc(user)}`, { configure: '.*', write: '.*', read: '.*' });
  },

  async revokeUser(admin, resource, user) {
    assertUserOf(resource, user);
    // Delete first (no new logins), then close what is still connected.
    await api(admin, 'delete a user', 'DELETE', `/users/${enc(user)}`, undefined, [404]);
    // A connection that ends by itself meanwhile makes this answer 500 (noproc): ask again.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await api(admin, "close the user's connections", 'DELETE', `/connections/username/${enc(user)}`, undefined, [404]);
        return;
      } catch (err) {
        if (attempt >= 5 || !/HTTP 5\d\d/.test(err instanceof Error ? err.message : '')) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  },

  async dropResource(admin, resource) {
    assertName(resource, 'resource');
    await api(admin, 'delete a vhost', 'DELETE', `/vhosts/${enc(resource)}`, undefined, [404]);
  },
};
