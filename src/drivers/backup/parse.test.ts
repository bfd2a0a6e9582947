/** The checks a Redis dump and a RabbitMQ definitions document pass before a restore writes anything (pure logic). */
import { describe, expect, it } from 'vitest';
import { isSlipwayError } from '../../core/errors.js';
import { moveDefinitions, parseDefinitions } from './rabbitmq.js';
import { parseRedisDump, rekey } from './redis.js';

const res = 'slw_abcdefghij';

function dump(keys: string[], count = keys.length): Buffer {
  const parts: Buffer[] = [Buffer.from('SLWREDIS1\n')];
  for (const k of keys) {
    const head = Buffer.alloc(9);
    head.write('K', 0);
    head.writeUInt32BE(0, 1);
    head.writeUInt32BE(Buffer.byteLength(k), 5);
    const mid = Buffer.alloc(12);
    mid.writeBigInt64BE(-1n, 0);
    mid.writeUInt32BE(3, 8);
    parts.push(head, Buffer.from(k), mid, Buffer.from('abc'));
  }
  const end = Buffer.alloc(9);
  end.write('E', 0);
  end.writeBigUInt64BE(BigInt(count), 1);
  parts.push(end);
  return Buffer.concat(parts);
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isSlipwayError(err) ? err.code : 'not a SlipwayError';
  }
  return 'nothing thrown';
}

describe('parseRedisDump', () => {
  it('reads a whole dump of keys under the prefix', () => {
    expect(parseRedisDump(dump([`${res}:a`, `${res}:b`]), res).map((e) => e.key.toString())).toEqual([`${res}:a`, `${res}:b`]);
  });
  it('refuses a truncated dump, a wrong count, trailing bytes, a key outside the prefix, and no mark', () => {
    const whole = dump([`${res}:a`]);
    expect(code(() => parseRedisDump(whole.subarray(0, whole.length - 3), res))).toBe('SLW_BACKUP_INVALID');
    expect(code(() => parseRedisDump(dump([`${res}:a`], 2), res))).toBe('SLW_BACKUP_INVALID');
    expect(code(() => parseRedisDump(Buffer.concat([whole, Buffer.from('x')]), res))).toBe('SLW_BACKUP_INVALID');
    expect(code(() => parseRedisDump(dump(['slw_zzzzzzzzzz:a']), res))).toBe('SLW_BACKUP_INVALID');
    expect(code(() => parseRedisDump(dump([res]), res))).toBe('SLW_BACKUP_INVALID');
    expect(code(() => parseRedisDump(Buffer.from('nope'), res))).toBe('SLW_BACKUP_INVALID');
  });
});

describe('parseDefinitions', () => {
  it('reads a vhost document and refuses one that is not JSON, has no lists, or names another vhost', () => {
    const ok = parseDefinitions(JSON.stringify({ queues: [{ name: 'q' }], bindings: [{ source: 'amq.direct', destination: 'q', destination_type: 'queue', routing_key: 'k', arguments: {} }] }), res);
    expect(ok.queues).toEqual([{ name: 'q' }]);
    expect(ok.exchanges).toEqual([]);
    expect(code(() => parseDefinitions('{', res))).toBe('SLW_BACKUP_INVALID');
    expect(code(() => parseDefinitions('[]', res))).toBe('SLW_BACKUP_INVALID');
    expect(code(() => parseDefinitions(JSON.stringify({ queues: {} }), res))).toBe('SLW_BACKUP_INVALID');
    expect(code(() => parseDefinitions(JSON.stringify({ queues: [{ name: 'q', vhost: 'other' }] }), res))).toBe('SLW_BACKUP_INVALID');
    expect(code(() => parseDefinitions(JSON.stringify({ bindings: [{ source: 'x' }] }), res))).toBe('SLW_BACKUP_INVALID');
  });
});

describe('a dump taken under another resource', () => {
  const to = 'slw_0123456789';
  it('moves every Redis key from under the old prefix to under the new one, keeping payload and TTL', () => {
    const moved = rekey(parseRedisDump(dump([`${res}:a`, `${res}:b:c`]), res), res, to);
    expect(moved.map((e) => [e.key.toString(), e.ttl, e.payload.toString()])).toEqual([
      [`${to}:a`, -1, 'abc'],
      [`${to}:b:c`, -1, 'abc'],
    ]);
    // Checked against the old prefix first: a key of a third prefix is refused, nothing moved.
    expect(code(() => parseRedisDump(dump([`${res}:a`, 'slw_zzzzzzzzzz:a']), res))).toBe('SLW_BACKUP_INVALID');
  });
  it('moves RabbitMQ items that name the old vhost to the new one', () => {
    const defs = parseDefinitions(JSON.stringify({ queues: [{ name: 'q', vhost: res }, { name: 'r' }], parameters: [{ name: 'p', vhost: res, component: 'shovel' }] }), res);
    const moved = moveDefinitions(defs, res, to);
    expect(moved.queues).toEqual([{ name: 'q', vhost: to }, { name: 'r' }]);
    expect(moved.parameters).toEqual([{ name: 'p', vhost: to, component: 'shovel' }]);
    expect(defs.queues).toEqual([{ name: 'q', vhost: res }, { name: 'r' }]);
  });
});
