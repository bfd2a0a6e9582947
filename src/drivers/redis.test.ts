import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAdminUrl } from '../core/services.js';
import { redisDriver as driver } from './redis.js';
import { canaryPassword, freshNames, thrown } from './test-support/names.js';

const admin = parseAdminUrl('redis', 'redis://127.0.0.1:6379');
const A = freshNames();
const B = freshNames();
const pwA1 = canaryPassword();
const pwA2 = canaryPassword();
const pwB1 = canaryPassword();
const opened: Redis[] = [];

async function login(username: string, password: string, db = 0): Promise<Redis> {
  const r = new Redis({ host: '127.0.0.1', port: 6379, username, password, db, lazyConnect: true, enableReadyCheck: false, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  let lastError: Error | undefined;
  r.on('error', (err: Error) => {
    lastError = err;
  });
  opened.push(r);
  try {
    await r.connect();
  } catch (err) {
    throw lastError ?? err;
  }
  return r;
}

const adminClient = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });

afterAll(async () => {
  for (const r of opened) r.disconnect();
  for (const n of [A, B]) {
    for (const g of [1, 2]) await driver.revokeUser(admin, n.resource, n.user(g)).catch(() => undefined);
    await driver.dropResource(admin, n.resource).catch(() => undefined);
  }
  adminClient.disconnect();
});

describe('Redis driver (the machine server)', () => {
  it('probes the version', async () => {
    expect((await driver.probe(admin)).version).toMatch(/^\d+\.\d+/);
  });

  it('gives each attachment an ACL user on its prefix; rotation shares keys; revoke disconnects; drop removes the keys', async () => {
    for (const n of [A, B]) {
      await driver.createResource(admin, n.resource);
      await driver.createResource(admin, n.resource);
    }
    await driver.grantUser(admin, A.resource, A.user(1), pwA1);
    await driver.grantUser(admin, A.resource, A.user(1), pwA1);
    await driver.grantUser(admin, B.resource, B.user(1), pwB1);

    const a1 = await login(A.user(1), pwA1);
    await a1.set(`${A.resource}:greeting`, 'hello');
    expect(await a1.get(`${A.resource}:greeting`)).toBe('hello');
    const b1 = await login(B.user(1), pwB1);
    await b1.set(`${B.resource}:secret`, 'b-only');

    // A's user cannot read or write B's keys, nor keys outside its prefix, nor list key names.
    await expect(a1.get(`${B.resource}:secret`)).rejects.toThrow(/NOPERM/);
    await expect(a1.set(`${B.resource}:x`, '1')).rejects.toThrow(/NOPERM/);
    await expect(a1.get('unprefixed')).rejects.toThrow(/NOPERM/);
    await expect(a1.keys('*')).rejects.toThrow(/NOPERM/);
    await expect(a1.scan('0')).rejects.toThrow(/NOPERM/);
    await expect(a1.flushall()).rejects.toThrow(/NOPERM/);
    await expect(a1.publish(`${B.resource}:events`, 'x')).rejects.toThrow(/NOPERM/);
    expect(await a1.publish(`${A.resource}:events`, 'x')).toBe(0);
    // A wrong password is refused.
    await expect(login(A.user(1), 'wrong')).rejects.toThrow(/WRONGPASS/);

    // Rotation: generation 2 alongside generation 1, same keys.
    await driver.grantUser(admin, A.resource, A.user(2), pwA2);
    const a2 = await login(A.user(2), pwA2);
    expect(await a2.get(`${A.resource}:greeting`)).toBe('hello');
    await a2.set(`${A.resource}:two`, '2');
    expect(await a1.get(`${A.resource}:two`)).toBe('2');
    // Keys in another logical database under the prefix (dropped with the rest below).
    const a2db3 = await login(A.user(2), pwA2, 3);
    await a2db3.set(`${A.resource}:in-db3`, '3');

    // Revoke generation 1: its connection is closed, a new login fails, the keys stay.
    await driver.revokeUser(admin, A.resource, A.user(1));
    await driver.revokeUser(admin, A.resource, A.user(1));
    await expect(a1.get(`${A.resource}:greeting`)).rejects.toThrow();
    await expect(login(A.user(1), pwA1)).rejects.toThrow(/WRONGPASS/);
    expect(await a2.get(`${A.resource}:greeting`)).toBe('hello');

    // Drop: every key under the prefix is gone, in every database; twice is fine; B untouched.
    await driver.dropResource(admin, A.resource);
    await driver.dropResource(admin, A.resource);
    expect(await a2.get(`${A.resource}:greeting`)).toBeNull();
    expect(await a2.get(`${A.resource}:two`)).toBeNull();
    expect(await a2db3.get(`${A.resource}:in-db3`)).toBeNull();
    expect(await b1.get(`${B.resource}:secret`)).toBe('b-only');
    await driver.revokeUser(admin, A.resource, A.user(2));
    await adminClient.connect();
    const users = (await adminClient.call('ACL', 'USERS')) as string[];
    expect(users.filter((u) => u.startsWith(A.resource))).toEqual([]);
  });

  it('refuses names Slipway did not make', async () => {
    expect((await thrown(() => driver.grantUser(admin, A.resource, 'default', 'x'))).code).toBe('SLW_INTERNAL');
    expect((await thrown(() => driver.dropResource(admin, '*'))).code).toBe('SLW_INTERNAL');
  });

  it('maps a wrong admin password to SLW_SERVICE_AUTH and a closed port to SLW_SERVICE_UNREACHABLE, never with the password', async () => {
    const canary = canaryPassword();
    const denied = await thrown(() => driver.probe({ ...admin, username: 'slw_no_such_admin', password: canary }));
    expect(denied.code).toBe('SLW_SERVICE_AUTH');
    expect(denied.message).not.toContain(canary);
    const closed = await thrown(() => driver.grantUser({ ...admin, port: 1, password: canary }, B.resource, B.user(1), canary));
    expect(closed.code).toBe('SLW_SERVICE_UNREACHABLE');
    expect(closed.message).not.toContain(canary);
  });
});
