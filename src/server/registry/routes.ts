/**
 * The registry's HTTP surface under `/v2/`, on the same listener as the API: the OCI
 * Distribution spec v1.1 (pull, push, content discovery, content management) plus the Docker
 * token endpoint `/v2/token`.
 *
 * Bodies are not parsed by Fastify here: blob bytes stream from the request into the upload
 * file, manifests are read with a size limit. One handler routes by path, because repository
 * names contain slashes.
 *
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from '../../registry/registry.js';
import { RegistryError } from '../../registry/errors.js';
import { authorize, challenge, issueToken } from '../../registry/auth.js';
import { handleBlobs, handleUploads } from './blob-routes.js';
import { handleManifests, handleReferrers, handleTags } from './manifest-routes.js';
import { readBody, type RegistryRequest } from './request.js';
import { tokenRealm } from './realm.js';

const uploadsPath = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/;
const objectPath = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/;
const tagsPath = /^\/v2\/(.+)\/tags\/list$/;

export function registerRegistryRoutes(app: FastifyInstance, registry: Registry): void {
  void app.register(async (scope) => {
    // Blob and manifest bodies are read by the handlers themselves, as streams.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    scope.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: '/v2/*',
      exposeHeadRoute: false,
      handler: async (request, reply) => {
        reply.header('docker-distribution-api-version', 'registry/2.0');
        try {
          await dispatch(request, reply, registry);
        } catch (error) {
          sendRegistryError(request, reply, registry, error);
        }
        return reply;
      },
    });
    // Errors Fastify raises before the handler (a body with an unparsable media type) answer in
    // the registry's error format too: registry clients parse that one, not Slipway's.
    scope.setErrorHandler((error, request, reply) => sendRegistryError(request, reply, registry, registryErrorOf(error) ?? error));
    scope.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: '/v2',
      exposeHeadRoute: false,
      handler: async (request, reply) => {
        if (request.method === 'GET' || request.method === 'HEAD') return reply.redirect('/v2/', 301);
        sendRegistryError(request, reply, registry, new RegistryError('UNSUPPORTED', `no registry route ${request.method} /v2`, undefined, 404));
        return reply;
      },
    });
  });
}

/** True for a request to the registry (`/v2` and below), whose errors use the registry's format. */
export function isRegistryPath(url: string): boolean {
  return url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?');
}

/**
 * A registry error for a failure Fastify raised (a media type it cannot parse, a body over the
 * limit, a path that is not valid percent-encoding), with that failure's 4xx status.
 */
export function registryErrorOf(error: unknown): RegistryError | undefined {
  if (error instanceof RegistryError) return error;
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  const code = status === 413 ? 'SIZE_INVALID' : status === 415 ? 'UNSUPPORTED' : 'NAME_INVALID';
  return new RegistryError(code, `the request was refused: ${(error as Error).message}`, undefined, status);
}

async function dispatch(request: FastifyRequest, reply: FastifyReply, registry: Registry): Promise<void> {
  const url = new URL(request.url, 'http://registry.invalid');
  const path = url.pathname;
  const method = request.method;
  if (path === '/v2/' && (method === 'GET' || method === 'HEAD')) {
    await registry.checkBase(request.headers.authorization);
    void reply.code(200).header('content-type', 'application/json').send('{}');
    return;
  }
  if (path === '/v2/token' && (method === 'GET' || method === 'POST')) {
    await sendToken(request, reply, registry, url);
    return;
  }
  const base = { request, reply, registry, query: url.searchParams };
  const make = (name: string, ref: string): RegistryRequest => ({
    ...base,
    name,
    ref,
    require: async (actions, repository = name) => {
      await authorize(registry.auth, request.headers.authorization, repository, actions, Math.floor(Date.now() / 1000));
    },
  });
  let m = uploadsPath.exec(path);
  if (m) return handleUploads(make(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)));
  m = tagsPath.exec(path);
  if (m && (method === 'GET' || method === 'HEAD')) return handleTags(make(decodeURIComponent(m[1]!), ''));
  m = objectPath.exec(path);
  if (m) {
    const req = make(decodeURIComponent(m[1]!), decodeURIComponent(m[3]!));
    if (m[2] === 'manifests') return handleManifests(req);
    if (m[2] === 'blobs') return handleBlobs(req);
    if (method === 'GET') return handleReferrers(req);
  }
  throw new RegistryError('UNSUPPORTED', `no registry route ${method} ${path}`, undefined, 404);
}

async function sendToken(request: FastifyRequest, reply: FastifyReply, registry: Registry, url: URL): Promise<void> {
  let scopes = url.searchParams.getAll('scope');
  if (request.method === 'POST') {
    // OAuth2 form (grant_type=password): scope is space-separated in the form body.
    const form = new URLSearchParams((await readBody(request, 64 * 1024)).toString('utf8'));
    scopes = [...scopes, ...form.getAll('scope')];
    const password = form.get('password');
    if (password && !request.headers.authorization) request.headers.authorization = `Bearer ${password}`;
  }
  const body = await issueToken(registry.auth, request.headers.authorization, scopes, Math.floor(Date.now() / 1000));
  void reply.code(200).header('cache-control', 'no-store').send(body);
}

export function sendRegistryError(request: FastifyRequest, reply: FastifyReply, registry: Registry, error: unknown): void {
  if (!(error instanceof RegistryError)) {
    const code = (error as { code?: string }).code;
    // A client that hangs up mid-body is not a server failure.
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || request.raw.destroyed) {
      request.log.info({ code }, 'registry client went away');
      if (!reply.sent && !request.raw.destroyed) void reply.code(400).send({ errors: [{ code: 'BLOB_UPLOAD_INVALID', message: 'the request body ended early' }] });
      return;
    }
    request.log.error({ err: error }, 'registry request failed');
    void reply.code(500).send({ errors: [{ code: 'UNKNOWN', message: 'internal error; the server log has the details' }] });
    return;
  }
  if (error.code === 'UNAUTHORIZED') {
    const socket = request.raw.socket;
    const realm = tokenRealm({ publicUrl: registry.publicUrl, localAddress: socket.localAddress, localPort: socket.localPort, remoteAddress: socket.remoteAddress, host: request.headers.host });
    const detail = Array.isArray(error.detail) ? (error.detail[0] as { Name?: string; Action?: string } | undefined) : undefined;
    void reply.header('www-authenticate', challenge(realm, registry.auth.service, detail?.Name, (detail?.Action ?? '').split(',').filter(Boolean)));
  }
  if (error.code === 'TOOMANYREQUESTS') void reply.header('retry-after', '1');
  // A body refused before it was read (too large) is not drained: the connection ends with the answer.
  if (error.status === 413) void reply.header('connection', 'close');
  request.log.info({ code: error.code }, 'registry request refused');
  if (request.method === 'HEAD') {
    void reply.code(error.status).send();
    return;
  }
  void reply.code(error.status).header('content-type', 'application/json').send(JSON.stringify(error.body()));
}
