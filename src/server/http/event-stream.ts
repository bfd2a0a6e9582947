/**
 * A route's event stream: it takes a slot of the caller's token (stream-limits.ts), prepares its
 * source (a refusal here is still an ordinary error answer), then hands the raw response to the
 * server's one producer (src/platform/sse.ts), which the server ends when it stops.
 *
 * @module
 */
import type { FastifyReply } from 'fastify';
import type { SseSource, SseStreamOptions } from '../../platform/sse.js';
import type { ServerDeps } from '../deps.js';
import { withStreamSlot } from './stream-limits.js';

export async function sendEventStream(deps: Pick<ServerDeps, 'streams' | 'maxStreamsPerToken'>, tokenId: string, reply: FastifyReply, prepare: () => SseSource | Promise<SseSource>, options?: SseStreamOptions): Promise<void> {
  await withStreamSlot(deps, tokenId, async () => {
    const source = await prepare();
    reply.hijack();
    await deps.streams.serve(reply.raw, source, options);
  });
}
