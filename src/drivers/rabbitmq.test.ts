import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAdminUrl } from '../core/services.js';
import { rabbitmqDriver as driver, rabbitPasswordHash } from './rabbitmq.js';
import { AmqpClosed, AmqpConnection } from './test-support/amqp.js';
import { canaryPassword, freshNames, thrown } from './test-support/names.js';

const admin = parseAdminUrl('rabbitmq', 'amqp://guest:guest@127.0.0.1:5672');
const A = freshNames();
const B = freshNames();
const pwA1 = canaryPassword();
const pwA2 = canaryPassword();
const pwB1 = canaryPassword();
const opened: AmqpConnection[] = [];

async function login(user: string, password: string, vhost: string): Promise<AmqpConnection> {
  const c = await AmqpConnection.open(5672, user, password, vhost);
  opened.push(c);
  return c;
}

async function management(path: string): Promise<Response> {
  return fetch(`http://127.0.0.1:15672/api${path}`, { headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` } });
}

afterAll(async () => {
  for (const c of opened) c.close();
  for (const n of [A, B]) {
    for (const g of [1, 2]) await driver.revokeUser(admin, n.resource, n.user(g)).catch(() => undefined);
    await driver.dropResource(admin, n.resource).catch(() => undefined);
  }
});

describe('RabbitMQ driver (the machine server, management API)', () => {
  it('probes the version', async () => {
    expect((await driver.probe(admin)).version).toMatch(/^\d+\.\d+/);
  });

  it('gives each attachment its own vhost and user; rotation shares queues; revoke closes connections; drop removes the vhost', async () => {
    for (const n of [A, B]) {
      await driver.createResource(admin, n.resource);
      await driver.createResource(admin, n.resource);
    }
    await driver.grantUser(admin, A.resource, A.user(1), pwA1);
    await driver.grantUser(admin, A.resource, A.user(1), pwA1);
    await driver.grantUser(admin, B.resource, B.user(1), pwB1);

    const a1 = await login(A.user(1), pwA1, A.resource);
    await a1.declareQueue('jobs');
    a1.publish('jobs', 'one');
    expect(await a1.get('jobs')).toBe('one');

    // A's user cannot open B's vhost (nor the default one); a wrong password is refused.
    const refused = await thrown(() => login(A.user(1), pwA1, B.resource));
    expect(refused).toBeInstanceOf(AmqpClosed);
    expect((refused as AmqpClosed).replyCode).toBe(530);
    expect(((await thrown(() => login(A.user(1), pwA1, '/'))) as AmqpClosed).replyCode).toBe(530);
    expect(await thrown(() => login(A.user(1), 'wrong', A.resource))).toBeInstanceOf(Error);
    // Nor use the management API (no tags).
    const whoami = await fetch('http://127.0.0.1:15672/api/whoami', { headers: { authorization: `Basic ${Buffer.from(`${A.user(1)}:${pwA1}`).toString('base64')}` } });
    expect(whoami.status).toBe(401);

    // Rotation: generation 2 alongside generation 1, same queue.
    await driver.grantUser(admin, A.resource, A.user(2), pwA2);
    const a2 = await login(A.user(2), pwA2, A.resource);
    await a1.publishSync('jobs', 'from-1');
    expect(await a2.get('jobs')).toBe('from-1');
    await a2.publishSync('jobs', 'from-2');
    expect(await a1.get('jobs')).toBe('from-2');

    // Revoke generation 1: the server closes its connection, a new login fails, the queue stays.
    await driver.revokeUser(admin, A.resource, A.user(1));
    await driver.revokeUser(admin, A.resource, A.user(1));
    expect(await a1.closed()).toBeInstanceOf(AmqpClosed);
    expect(await thrown(() => login(A.user(1), pwA1, A.resource))).toBeInstanceOf(Error);
    await a2.publishSync('jobs', 'kept');
    expect(await a2.get('jobs')).toBe('kept');

    // Drop: the vhost and its queues are gone (its connections closed); twice is fine; B untouched.
    await driver.dropResource(admin, A.resource);
    await driver.dropResource(admin, A.resource);
    expect(await a2.closed()).toBeInstanceOf(AmqpClosed);
    expect((await management(`/vhosts/${A.resource}`)).status).toBe(404);
    const b1 = await login(B.user(1), pwB1, B.resource);
    await b1.declareQueue('mine');
    await driver.revokeUser(admin, A.resource, A.user(2));
    expect((await management(`/users/${A.user(2)}`)).status).toBe(404);
  });

  it('sends RabbitMQ salted SHA-256 password hashes', () => {
    const salt = Buffer.from([1, 2, 3, 4]);
    const hash = Buffer.from(rabbitPasswordHash('secret', salt), 'base64');
    expect(hash.subarray(0, 4)).toEqual(salt);
    expect(hash.subarray(4)).toEqual(createHash('sha256').update(Buffer.concat([salt, Buffer.from('secret')])).digest());
  });

  it('refuses names Slipway did not make', async () => {
    expect((await thrown(() => driver.createResource(admin, '/'))).code).toBe('SLW_INTERNAL');
    expect((await thrown(() => driver.revokeUser(admin, A.resource, 'guest'))).code).toBe('SLW_INTERNAL');
  });

  it('maps a wrong admin password to SLW_SERVICE_AUTH and a closed port to SLW_SERVICE_UNREACHABLE, never with the password', async () => {
    const canary = canaryPassword();
    const denied = await thrown(() => driver.probe({ ...admin, password: canary }));
    expect(denied.code).toBe('SLW_SERVICE_AUTH');
    expect(denied.message).not.toContain(canary);
    const closed = await thrown(() => driver.createResource({ ...admin, password: canary, managementUrl: 'http://127.0.0.1:1' }, B.resource));
    expect(closed.code).toBe('SLW_SERVICE_UNREACHABLE');
    expect(closed.message).not.toContain(canary);
  });
});
