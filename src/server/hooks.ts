/**
 * The webhook endpoint `POST /hooks/<hook-id>`: no API token (the provider's signature or token
 * is the authentication), the body read as raw bytes whatever its content type, so the signature
 * is checked on exactly what was sent, before anything parses it. It answers at once; the
 * delivery processor does the work.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { maxDeliveryBytes } from '../core/webhooks.js';
import { receiveDelivery } from '../webhooks/deliveries.js';
import type { ServerDeps } from './deps.js';

/** Registers the endpoint in a scope of its own (its body parser takes every content type as bytes). */
export function registerHookEndpoint(app: FastifyInstance, deps: ServerDeps): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxDeliveryBytes }, (_request, body, done) => done(null, body));
    scope.post<{ Params: { hook: string } }>('/hooks/:hook', { bodyLimit: maxDeliveryBytes }, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const receipt = await receiveDelivery(deps.db, deps.keyring, request.log, request.params.hook, request.headers, request.headers['content-type'] ?? '', body);
      if (receipt.body.status === 'received') deps.webhooks?.poke();
      return reply.code(receipt.status).send(receipt.body);
    });
  });
}
