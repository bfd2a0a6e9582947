/**
 * Redis driver (`ioredis`, Redis 6.2+ ACLs). One attachment = the key prefix `slw_x:` (nothing
 * to create); each credential generation is an ACL user limited to keys `slw_x:*` and channels
 * `slw_x:*`, with every command but the `@dangerous` ones (KEYS, FLUSHALL, FLUSHDB, CONFIG, INFO,
 * CLIENT, MONITOR, DEBUG, …) and but SCAN and RANDOMKEY, which ignore key patterns and would list
 * other attachments' key names. Generations share the keys during a rotation; `ACL DELUSER`
 * disconnects the revoked one. Passwords are sent as SHA-256 hashes (`#<hex>`), as Redis stores
 * them, never in plain text.
 *
 * Persistence: ACL users live in the server's memory. They survive a Redis restart only when the
 * server has an `aclfile` (then every change is followed by `ACL SAVE`); a server without one
 * (like this machine's, which keeps nothing on disk) forgets them on restart, and the
 * attachments must be granted again (rotate). Users defined in redis.conf with `CONFIG REWRITE`
 * are not supported.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AdminConnection } from '../core/services.js';
import type { ServiceDriver } from '../services/driver.js';
import { assertName, assertUserOf, authFailed, driverTimeoutMs, errorCodes, internal, isNetworkFailure, unreachable } from './failure.js';

/** The ACL rules of a generation user (after `reset on #<hash>`). */
export function aclRules(resource: string): string[] {
  return [`~${resource}:*`, 'resetchannels', `&${resource}:*`, '+@all', '-@dangerous', '-scan', '-randomkey'];
}

function mapError(admin: AdminConnection, step: string, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (/^(WRONGPASS|NOAUTH)/.test(message)) return authFailed(admin, 'refused the admin credentials; check the user and password of the admin URL (redis://USER:PASSWORD@HOST:PORT)');
  if (/^NOPERM/.test(message)) return authFailed(admin, `refused to let the admin user ${step} (NOPERM); it needs the ACL, SCAN, UNLINK, SELECT and INFO commands on all keys`);
  if (isNetworkFailure(err) || /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH/.test(message)) return unreachable(admin, errorCodes(err)[0] ?? 'no answer');
  return internal(admin, step, err, []);
}

async function withClient<T>(admin: AdminConnection, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({
    host: admin.host,
    port: admin.port,
    username: admin.username === 'default' && admin.password === '' ? undefined : admin.username,
    password: admin.password === '' ? undefined : admin.password,
    connectTimeout: driverTimeoutMs,
    commandTimeout: 30_000,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    reconnectOnError: () => false,
  });
  // A refused AUTH reaches only the 'error' event; connect() then rejects with "Connection is closed".
  let lastError: unknown;
  r.on('error', (err: unknown) => {
    lastError = err;
  });
  try {
    await r.connect();
  } catch (err) {
    r.disconnect();
    throw mapError(admin, 'connect', lastError ?? err);
  }
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

async function call(admin: AdminConnection, r: Redis, step: string, args: (string | number)[]): Promise<unknown> {
  const [command, ...rest] = args;
  try {
    return await r.call(String(command), ...rest);
  } catch (err) {
    throw mapError(admin, step, err);
  }
}

/** `ACL SAVE` when the server keeps its users in an aclfile; nothing otherwise (see the module note). */
async function persistAcl(admin: AdminConnection, r: Redis): Promise<void> {
  let file = '';
  try {
    const reply = (await r.call('CONFIG', 'GET', 'aclfile')) as string[];
    file = reply[1] ?? '';
  } catch {
    return; // an admin without CONFIG: nothing to do here
  }
  if (file !== '') await call(admin, r, 'save the ACL file', ['ACL', 'SAVE']);
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

export const redisDriver: ServiceDriver = {
  kind: 'redis',

  async probe(admin) {
    return withClient(admin, async (r) => {
      const info = String(await call(admin, r, 'read INFO', ['INFO', 'server']));
      const version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
      if (!versionAtLeast(version, 6, 2)) throw authFailed(admin, `is version ${version}; Slipway needs Redis 6.2 or newer (ACL key and channel patterns)`);
      await call(admin, r, 'list ACL users', ['ACL', 'USERS']);
      return { version };
    });
  },

  async createResource(admin, resource) {
    assertName(resource, 'resource');
    // A prefix needs nothing on the server; check that it answers, as the other kinds do.
    await withClient(admin, async (r) => {
      await call(admin, r, 'ping', ['PING']);
    });
  },

  async grantUser(admin, resource, user, password) {
    assertUserOf(resource, user);
    const hash = createHash('sha256').update(password, 'utf8').digest('hex');
    await withClient(admin, async (r) => {
      await call(admin, r, 'create an ACL user', ['ACL', 'SETUSER', user, 'reset', 'on', `#${hash}`, ...aclRules(resource)]);
      await persistAcl(admin, r);
    });
  },

  async revokeUser(admin, resource, user) {
    assertUserOf(resource, user);
    await withClient(admin, async (r) => {
      // DELUSER also closes the user's connections.
      await call(admin, r, 'delete an ACL user', ['ACL', 'DELUSER', user]);
      await persistAcl(admin, r);
    });
  },

  async dropResource(admin, resource) {
    assertName(resource, 'resource');
    await withClient(admin, async (r) => {
      // Key patterns hold in every logical database: clear the prefix in each one that has keys.
      const keyspace = String(await call(admin, r, 'read the keyspace', ['INFO', 'keyspace']));
      const databases = [...keyspace.matchAll(/^db(\d+):/gm)].map((m) => Number(m[1]));
      for (const db of databases) {
        await call(admin, r, 'select a database', ['SELECT', db]);
        let cursor = '0';
        do {
          const [next, keys] = (await call(admin, r, 'scan the prefix', ['SCAN', cursor, 'MATCH', `${resource}:*`, 'COUNT', 1000])) as [string, string[]];
          if (keys.length > 0) await call(admin, r, 'unlink keys', ['UNLINK', ...keys]);
          cursor = next;
        } while (cursor !== '0');
      }
    });
  },
};
