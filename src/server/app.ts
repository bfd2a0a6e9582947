/**
 * The HTTP application: API routes, OpenAPI document, health, metrics, the web panel, and the
 * one error path.
 *
 * @module
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { SlipwayError } from '../core/errors.js';
import type { ServerDeps } from './deps.js';
import { clientErrorResponse, toHttpError } from './http/errors.js';
import { buildOpenApi } from './http/openapi.js';
import { toFastifyPath } from './http/route.js';
import { apiRoutes } from './routes/index.js';
import { isRegistryPath, registerRegistryRoutes, registryErrorOf, sendRegistryError } from './registry/routes.js';
import { registerPanel } from './panel.js';
import { registerHookEndpoint } from './hooks.js';
import { registerAppHookEndpoint } from './app-hooks.js';
import { authenticate } from '../tenancy/tokens.js';

/** Largest request body accepted on the API (config layers and secrets are far smaller). */
export const apiBodyLimit = 1024 * 1024;

/** Builds the Fastify app; the caller listens and closes it. */
export function buildApp(deps: ServerDeps) {
  const app = Fastify({
    loggerInstance: deps.logger,
    // X-Forwarded-* is believed only from the configured proxies (--trusted-proxy); default none.
    trustProxy: deps.trustedProxies && deps.trustedProxies.length > 0 ? deps.trustedProxies : false,
    bodyLimit: apiBodyLimit,
    return503OnClosing: true,
    // Path parameters as long as the schemas allow (a member's e-mail: 320; a secret name: 255).
    routerOptions: { maxParamLength: 320 },
    // Errors Fastify's router raises before any route runs (a path that is not valid
    // percent-encoding, a path segment over the length limit) get the Slipway error body too.
    // Requests Node's HTTP parser refuses (malformed, headers too large, too slow) get the
    // Slipway error document too, not Fastify's own body.
    clientErrorHandler: (error, socket) => {
      if ((error as { code?: string }).code === 'ECONNRESET' || socket.destroyed) return;
      if (socket.writable) socket.write(clientErrorResponse(error as { code?: string }));
      socket.destroy(error);
    },
    frameworkErrors: (error, request, reply) => {
      const registryError = isRegistryPath(request.url) ? registryErrorOf(error) : undefined;
      if (registryError) sendRegistryError(request, reply, deps.registry, registryError);
      else sendError(error, request, reply);
    },
  });

  // While the server starts (listening, its edge and deploy engine not up yet) the API waits: a
  // route that places, deploys or follows a workload would find no target yet. The CLI and the
  // panel try again by themselves; webhook receivers and the registry answer (deliveries wait in
  // the store for the processor).
  const starting = deps.starting;
  if (starting) {
    app.addHook('onRequest', async (request, reply) => {
      if (!starting() || !(request.url.startsWith('/api/') || request.url === '/api')) return;
      void reply.header('retry-after', '1');
      throw new SlipwayError('SLW_STARTING', 'the server is still starting (its edge proxy and deploy engine are not ready yet); nothing was done, try again in a second or two');
    });
  }

  // Bodies are JSON only: without this, Fastify's built-in text/plain parser hands a string to
  // the routes, and a JSON body sent as text/plain fails with a confusing "expected object".
  app.removeContentTypeParser('text/plain');
  // Byte-stream bodies (artifact uploads) are read by their route from request.raw, unparsed.
  app.addContentTypeParser('application/octet-stream', (_request, _payload, done) => done(null));

  const openapi = buildOpenApi(apiRoutes, deps.version);

  app.get('/healthz', async (_request, reply) => {
    await deps.db.selectFrom('slipway_meta').select('key').limit(1).execute();
    // Not ready while starting: a load balancer or a script waiting for the server waits for the API too.
    if (starting?.()) return reply.code(503).header('retry-after', '1').send({ status: 'starting', version: deps.version, store: deps.engine });
    return { status: 'ok', version: deps.version, store: deps.engine };
  });
  app.get('/metrics', async (request, reply) => {
    const principal = await authenticate(deps.db, request.headers.authorization);
    if (!principal.instanceAdmin || principal.scope) throw new SlipwayError('SLW_FORBIDDEN', "metrics describe every workspace: use an instance admin token, or scrape the server's loopback metrics listener (--metrics-listen)");
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  app.get('/api/v1/openapi.json', async () => openapi);

  for (const route of apiRoutes) {
    app.route({
      method: route.meta.method,
      url: toFastifyPath(route.meta.path),
      handler: (request, reply) => route.run(request, reply, deps),
    });
  }

  registerHookEndpoint(app as unknown as FastifyInstance, deps);
  registerAppHookEndpoint(app as unknown as FastifyInstance, deps);

  // The registry plugin is typed for Fastify's base logger; the app carries pino's (a superset).
  registerRegistryRoutes(app as unknown as FastifyInstance, deps.registry);

  app.addHook('onResponse', async (request, reply) => {
    const routeName = request.routeOptions.url ?? 'unmatched';
    deps.metrics.requests.inc({ method: request.method, route: routeName, status: String(reply.statusCode) });
    deps.metrics.duration.observe({ method: request.method, route: routeName }, reply.elapsedTime / 1000);
  });

  // Event streams never end by themselves (a workspace's changes, a runtime log): a closing
  // server ends them, or its close would wait for their clients forever.
  app.addHook('preClose', async () => deps.streams.endAll());

  const panel = registerPanel(app as unknown as FastifyInstance, deps.panelDir);

  app.setNotFoundHandler(async (request, reply) => {
    if (await panel.serveApp(request, reply)) return;
    const err = new SlipwayError('SLW_ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}; the API is described at /api/v1/openapi.json`);
    void reply.code(err.status).send({ error: { code: err.code, message: err.message } });
  });

  app.setErrorHandler(sendError);

  return app;
}

/** The one error path: a Slipway error body with the catalogue's status; unexpected errors are logged. */
function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { error: err, expected } = toHttpError(error, apiBodyLimit);
  if (expected) request.log.info({ code: err.code }, 'request refused');
  else request.log.error({ err: err.cause ?? error }, 'request failed');
  void reply.code(err.status).send({ error: { code: err.code, message: err.message } });
}
