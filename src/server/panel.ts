/**
 * Serves the web panel (the Vite build in dist/panel) at `/`: hashed assets under /assets/ with
 * a year's cache, and index.html for `/` and any other panel path (the app routes on the client).
 * API, registry, health and metrics paths are never answered with the app. Every panel response
 * carries a strict Content-Security-Policy: the app loads only its own scripts and styles and
 * talks only to this origin.
 *
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build` puts the panel: dist/panel beside dist/server. */
export const defaultPanelDir = fileURLToPath(new URL('../panel/', import.meta.url));

const types: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

const securityHeaders = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Assets never change under one name (their names carry content hashes): each is gzipped once. */
const gzipCache = new Map<string, { mtimeMs: number; body: Buffer }>();

async function gzipped(file: string, mtimeMs: number): Promise<Buffer> {
  const hit = gzipCache.get(file);
  if (hit && hit.mtimeMs === mtimeMs) return hit.body;
  const body = gzipSync(await readFile(file), { level: 9 });
  gzipCache.set(file, { mtimeMs, body });
  return body;
}

/** Paths that belong to the server, never to the panel. */
export function isServerPath(url: string): boolean {
  const p = url.split('?')[0] ?? '';
  return p.startsWith('/api/') || p === '/api' || p.startsWith('/v2/') || p === '/v2' || p === '/healthz' || p === '/metrics';
}

export function registerPanel(app: FastifyInstance, dir = defaultPanelDir): { serveApp(request: FastifyRequest, reply: FastifyReply): Promise<boolean> } {
  const sendIndex = async (reply: FastifyReply) => {
    const html = await readFile(join(dir, 'index.html')).catch(() => null);
    void reply.headers(securityHeaders).header('cache-control', 'no-cache');
    if (!html) return reply.code(503).type('text/plain; charset=utf-8').send('The web panel is not built: run `npm run build` (scripts/start.sh does), then reload.\n');
    return reply.type(types['.html']!).send(html);
  };

  app.get('/', (_request, reply) => sendIndex(reply));
  app.get('/assets/*', async (request, reply) => {
    const rel = normalize((request.params as { '*': string })['*']);
    const root = join(dir, 'assets') + sep;
    const file = join(root, rel);
    const info = file.startsWith(root) ? await stat(file).catch(() => null) : null;
    if (!info?.isFile()) return reply.code(404).type('text/plain; charset=utf-8').send('no such panel asset\n');
    void reply.headers(securityHeaders).header('cache-control', 'public, max-age=31536000, immutable').header('vary', 'accept-encoding');
    void reply.type(types[extname(file)] ?? 'application/octet-stream');
    if (!/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.send(await readFile(file));
    return reply.header('content-encoding', 'gzip').send(await gzipped(file, info.mtimeMs));
  });

  return {
    /** For the not-found handler: answers a browser's GET of a panel path with the app. */
    async serveApp(request, reply) {
      if ((request.method !== 'GET' && request.method !== 'HEAD') || isServerPath(request.url)) return false;
      if (!(request.headers.accept ?? '').includes('text/html')) return false;
      await sendIndex(reply);
      return true;
    },
  };
}
