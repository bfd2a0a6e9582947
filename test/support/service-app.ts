/**
 * A Node app that uses its attached services through the variables Slipway injects
 * (DATABASE_URL, MYSQL_URL, REDIS_URL + REDIS_KEY_PREFIX, AMQP_URL), built by Slipway's own node runtime
 * on a node base made from this machine's /usr/bin/node (nothing can be pulled here). The app's
 * client libraries (pg, mysql2, ioredis, and the minimal AMQP client of the RabbitMQ driver's tests)
 * are bundled into one server.js with esbuild.
 *
 * Routes: `GET /KIND/write?v=VALUE` stores VALUE, `GET /KIND/read` answers it (KIND: pg, mysql, redis, amqp: a message on queue `kv` of the vhost;
 * custom: through KV_URL, the custom test image of custom-image.ts, which also answers `GET /custom/greeting`).
 *
 * Also a TCP relay on the Docker bridge's gateway address: the machine's PostgreSQL, MariaDB,
 * Redis and RabbitMQ listen on 127.0.0.1 only, which containers cannot reach; the relay stands in for a
 * server on a private address (what `--workload-address` names in production).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { busybox, cachedRootfs, copyBinaries, sh } from './images.js';
import { repoRoot } from './server-process.js';

const app = `
const http = require('node:http');
const { Client } = require('pg');
const mysql = require('mysql2/promise');
const Redis = require('ioredis');
const { AmqpConnection } = require('__AMQP__');
const q = (u) => new URL(u, 'http://x').searchParams.get('v') ?? '';
const handlers = {
  pg: async (op, v) => {
    const c = new Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    try {
      await c.query('create table if not exists kv (k text primary key, v text not null)');
      if (op === 'write') { await c.query("insert into kv values ('k', $1) on conflict (k) do update set v = excluded.v", [v]); return 'ok'; }
      return (await c.query("select v from kv where k = 'k'")).rows[0]?.v ?? '';
    } finally { await c.end(); }
  },
  mysql: async (op, v) => {
    const c = await mysql.createConnection(process.env.MYSQL_URL);
    try {
      await c.query('create table if not exists kv (k varchar(16) primary key, v text not null)');
      if (op === 'write') { await c.query("replace into kv values ('k', ?)", [v]); return 'ok'; }
      const [rows] = await c.query("select v from kv where k = 'k'");
      return rows[0]?.v ?? '';
    } finally { await c.end(); }
  },
  redis: async (op, v) => {
    const c = new Redis(process.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await c.connect();
    try {
      const key = process.env.REDIS_KEY_PREFIX + 'k';
      if (op === 'write') { await c.set(key, v); return 'ok'; }
      return (await c.get(key)) ?? '';
    } finally { c.disconnect(); }
  },
  amqp: async (op, v) => {
    const u = new URL(process.env.AMQP_URL);
    const c = await AmqpConnection.open(Number(u.port), decodeURIComponent(u.username), decodeURIComponent(u.password), decodeURIComponent(u.pathname.slice(1)), u.hostname);
    try {
      await c.declareQueue('kv');
      if (op === 'write') { await c.publishSync('kv', v); return 'ok'; }
      return (await c.get('kv')) ?? '';
    } finally { c.close(); }
  },
  custom: async (op, v) => {
    const path = op === 'write' ? '/cgi-bin/kv?v=' + encodeURIComponent(v) : op === 'greeting' ? '/greeting' : '/cgi-bin/kv';
    const r = await fetch(process.env.KV_URL + path);
    if (!r.ok) throw new Error('KV_URL answered ' + r.status);
    return (await r.text()).trim();
  },
};
http.createServer(async (req, res) => {
  const [, kind, op] = (req.url ?? '/').split('?')[0].split('/');
  const handler = handlers[kind];
  if (!handler) { res.end('service app\\n'); return; }
  try { res.end(String(await handler(op, q(req.url)))); }
  catch (e) { res.statusCode = 500; res.end('error: ' + e.message); }
}).listen(Number(process.env.PORT ?? 8080));
// PID 1 in its container: without a handler, SIGTERM is ignored and every stop waits for the kill.
process.on('SIGTERM', () => process.exit(0));
`;

/** The app as a .tar.gz for \`slipway build --runtime node\`. */
export async function buildServiceApp(dir: string): Promise<string> {
  const src = join(dir, 'src');
  const out = join(dir, 'app');
  mkdirSync(src, { recursive: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(src, 'app.cjs'), app.replace('__AMQP__', join(repoRoot, 'src/drivers/test-support/amqp.ts')));
  await build({ entryPoints: [join(src, 'app.cjs')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: join(out, 'server.js'), nodePaths: [join(repoRoot, 'node_modules')], logLevel: 'error', external: ['pg-native', 'cloudflare:sockets'] });
  writeFileSync(join(out, 'package.json'), JSON.stringify({ name: 'service-app', version: '1.0.0', private: true }));
  const archive = join(dir, 'app.tar.gz');
  await sh('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', out, '-czf', archive, '.']);
  return archive;
}

/** A root filesystem with busybox and this machine's node (and the libraries ldd names), built once and cached. */
function nodeRootfs(): Promise<string> {
  return cachedRootfs('node', async (root) => {
    busybox(root);
    await copyBinaries(root, ['/usr/bin/node']);
  });
}

/** Imports the node base with docker and pushes it as \`ref\` (after \`docker login\`). */
export async function pushNodeBase(docker: (args: string[], input?: string) => Promise<string>, ref: string): Promise<void> {
  await docker(['import', '-c', 'ENV PATH=/usr/bin:/bin', '-c', 'EXPOSE 8080', await nodeRootfs(), ref]);
  await docker(['push', ref]);
}

/** The Docker bridge's gateway address (containers reach the host there). */
export async function bridgeGateway(): Promise<string> {
  const out = await sh('ip', ['-4', '-o', 'addr', 'show', 'docker0']);
  const m = /inet (\d+\.\d+\.\d+\.\d+)/.exec(out);
  if (!m?.[1]) throw new Error('docker0 has no IPv4 address');
  return m[1];
}

/** Forwards connections on \`host\`:(random port) to 127.0.0.1:\`port\`. */
export async function relay(host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
