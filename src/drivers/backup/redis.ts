/**
 * Redis backups: every key under the attachment's prefix, in every logical database, as
 * `DUMP` payloads with their remaining time to live (`PTTL`), in a framed binary format:
 *
 *   "SLWREDIS1\n"
 *   per key:  'K' u32 db, u32 key length, key, i64 ttl ms (-1: none), u32 payload length, payload
 *   end:      'E' u64 number of keys
 *
 * A restore reads and checks the whole stream first (frames, the end mark and its count, every
 * key under the prefix), so a truncated or foreign dump writes nothing; then, per database, one
 * MULTI/EXEC removes the keys under the prefix and `RESTORE … REPLACE`s the dumped ones, so no
 * client sees a half-restored prefix. A key restored gets the time to live it had left at the
 * backup. DUMP payloads are tied to the server's RDB version: a backup restores on the same or
 * a newer Redis. A dump taken under another prefix (a backup whose attachment is gone, loaded
 * into the new attachment) is checked against that prefix and each key moved to the new one
 * (`slw_old:k` → `slw_new:k`); the payloads and TTLs are kept.
 *
 * @module
 */
import { Redis } from 'ioredis';
import { SlipwayError } from '../../core/errors.js';
import type { AdminConnection } from '../../core/services.js';
import type { ServiceBackupDriver } from '../../services/backup-driver.js';
import { assertName, driverTimeoutMs, internal } from '../failure.js';

const magic = Buffer.from('SLWREDIS1\n');

export interface RedisEntry {
  db: number;
  key: Buffer;
  ttl: number;
  payload: Buffer;
}

async function withClient<T>(admin: AdminConnection, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: admin.host, port: admin.port, username: admin.username, password: admin.password === '' ? undefined : admin.password, lazyConnect: true, connectTimeout: driverTimeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } catch (err) {
    if (err instanceof SlipwayError) throw err;
    throw internal(admin, 'back up or restore keys', err, []);
  } finally {
    r.disconnect();
  }
}

async function databasesWithKeys(r: Redis): Promise<number[]> {
  const keyspace = String(await r.call('INFO', 'keyspace'));
  return [...keyspace.matchAll(/^db(\d+):/gm)].map((m) => Number(m[1]));
}

async function keysUnder(r: Redis, resource: string): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await r.callBuffer('SCAN', cursor, 'MATCH', `${resource}:*`, 'COUNT', 1000)) as [Buffer, Buffer[]];
    keys.push(...batch);
    cursor = next.toString();
  } while (cursor !== '0');
  return keys;
}

function frame(e: RedisEntry): Buffer {
  const head = Buffer.alloc(9);
  head.write('K', 0);
  head.writeUInt32BE(e.db, 1);
  head.writeUInt32BE(e.key.length, 5);
  const mid = Buffer.alloc(12);
  mid.writeBigInt64BE(BigInt(e.ttl), 0);
  mid.writeUInt32BE(e.payload.length, 8);
  return Buffer.concat([head, e.key, mid, e.payload]);
}

function bad(why: string): SlipwayError {
  return new SlipwayError('SLW_BACKUP_INVALID', `the Redis dump is not valid (${why}); nothing was changed`);
}

/** Parses a whole dump, checking every frame, the end mark and that every key lies under `resource:`. */
export function parseRedisDump(data: Buffer, resource: string): RedisEntry[] {
  if (!data.subarray(0, magic.length).equals(magic)) throw bad('no SLWREDIS1 mark');
  const prefix = Buffer.from(`${resource}:`);
  const entries: RedisEntry[] = [];
  let at = magic.length;
  const need = (n: number) => {
    if (at + n > data.length) throw bad('truncated');
  };
  for (;;) {
    need(1);
    const tag = String.fromCharCode(data[at] ?? 0);
    at += 1;
    if (tag === 'E') {
      need(8);
      const count = Number(data.readBigUInt64BE(at));
      at += 8;
      if (count !== entries.length) throw bad(`the end mark counts ${count} keys, the dump holds ${entries.length}`);
      if (at !== data.length) throw bad('bytes after the end mark');
      return entries;
    }
    if (tag !== 'K') throw bad('unknown frame');
    need(8);
    const db = data.readUInt32BE(at);
    const keyLength = data.readUInt32BE(at + 4);
    at += 8;
    need(keyLength + 12);
    const key = data.subarray(at, at + keyLength);
    at += keyLength;
    const ttl = Number(data.readBigInt64BE(at));
    const payloadLength = data.readUInt32BE(at + 8);
    at += 12;
    need(payloadLength);
    const payload = data.subarray(at, at + payloadLength);
    at += payloadLength;
    if (!key.subarray(0, prefix.length).equals(prefix)) throw bad('a key outside the attachment prefix');
    if (db > 15_999 || ttl < -1) throw bad('a frame out of range');
    entries.push({ db, key, ttl, payload });
  }
}

/** The entries with their keys moved from under `from:` to under `to:` (every key is under `from:`: {@link parseRedisDump} checked it). */
export function rekey(entries: RedisEntry[], from: string, to: string): RedisEntry[] {
  if (from === to) return entries;
  const old = Buffer.byteLength(`${from}:`);
  const prefix = Buffer.from(`${to}:`);
  return entries.map((e) => ({ ...e, key: Buffer.concat([prefix, e.key.subarray(old)]) }));
}

export const redisBackupDriver: ServiceBackupDriver = {
  kind: 'redis',

  async backup(admin, resource, out) {
    assertName(resource, 'resource');
    const write = (chunk: Buffer) => (out.write(chunk) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', resolve)));
    await withClient(admin, async (r) => {
      await write(magic);
      let count = 0;
      for (const db of await databasesWithKeys(r)) {
        await r.select(db);
        const keys = await keysUnder(r, resource);
        // One pipeline per 500 keys: DUMP and PTTL of each, in order.
        for (let i = 0; i < keys.length; i += 500) {
          const batch = keys.slice(i, i + 500);
          const pipe = r.pipeline();
          for (const key of batch) pipe.dumpBuffer(key).pttl(key);
          const replies = (await pipe.exec()) ?? [];
          for (const [n, key] of batch.entries()) {
            const [dumpErr, payload] = replies[2 * n] ?? [];
            const [ttlErr, ttl] = replies[2 * n + 1] ?? [];
            if (dumpErr || ttlErr) throw internal(admin, 'dump keys', dumpErr ?? ttlErr, []);
            const t = Number(ttl ?? -2);
            if (!Buffer.isBuffer(payload) || t === -2) continue; // expired or removed meanwhile
            await write(frame({ db, key, ttl: t, payload }));
            count += 1;
          }
        }
      }
      const end = Buffer.alloc(9);
      end.write('E', 0);
      end.writeBigUInt64BE(BigInt(count), 1);
      await write(end);
    });
  },

  async restore(admin, resource, input, from) {
    assertName(resource, 'resource');
    const source = from?.resource ?? resource;
    assertName(source, 'resource');
    const chunks: Buffer[] = [];
    for await (const chunk of input as AsyncIterable<Buffer>) chunks.push(chunk);
    const entries = rekey(parseRedisDump(Buffer.concat(chunks), source), source, resource);
    await withClient(admin, async (r) => {
      const dbs = new Set([...(await databasesWithKeys(r)), ...entries.map((e) => e.db)]);
      for (const db of [...dbs].sort((a, b) => a - b)) {
        await r.select(db);
        const existing = await keysUnder(r, resource);
        const mine = entries.filter((e) => e.db === db);
        if (existing.length === 0 && mine.length === 0) continue;
        const tx = r.multi();
        if (existing.length > 0) tx.unlink(...existing);
        for (const e of mine) tx.restore(e.key, e.ttl < 0 ? 0 : Math.max(1, e.ttl), e.payload, 'REPLACE');
        const results = (await tx.exec()) ?? [];
        const failed = results.find(([err]) => err !== null);
        if (failed) throw internal(admin, 'restore keys', failed[0], []);
      }
    });
  },
};
