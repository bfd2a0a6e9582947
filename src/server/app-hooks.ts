/**
 * The upstream hook endpoint `POST /hooks/apps/<hook-id>`: no API token (the hook's bearer
 * secret or signature authenticates), the body read as raw bytes whatever its content type (the
 * distribution registry sends `application/vnd.docker.distribution.events.v1+json`), so the
 * signature is checked on exactly what was sent. A valid call asks for a poll of the upstream
 * (rate-limited per application, see apps/upstream-trigger.ts) and is answered 202 at once.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import type { AppHookReceipt } from '../api/app-notifications.js';
import { receiveAppHookCall } from '../apps/app-hooks.js';
import type { ServerDeps } from './deps.js';

/** Largest call body: a registry batches events, each well under 1 KiB. */
const maxCallBytes = 1024 * 1024;

/** Registers the endpoint in a scope of its own (its body parser takes every content type as bytes). */
export function registerAppHookEndpoint(app: FastifyInstance, deps: ServerDeps): void {
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxCallBytes }, (_request, body, done) => done(null, body));
    scope.post<{ Params: { hook: string } }>('/hooks/apps/:hook', { bodyLimit: maxCallBytes }, async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const { app, call } = await receiveAppHookCall(deps.db, deps.keyring, request.log, request.params.hook, request.headers, body);
      let receipt: AppHookReceipt;
      if (!call.poll) receipt = { status: 'ignored', message: `nothing to do: ${call.reason}` };
      else {
        const answer = deps.apps?.trigger?.request(app.id) ?? 'coalesced';
        receipt = { status: answer, message: answer === 'polling' ? `polling ${app.upstream} now (${call.reason})` : `a poll of ${app.upstream} is under way or due within seconds; this call is folded into it (${call.reason})` };
      }
      return reply.code(202).send(receipt);
    });
  });
}
