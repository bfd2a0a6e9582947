/**
 * A deployment's log as server-sent events: `id` is the event's sequence number, so a client
 * that reconnects with `Last-Event-ID` gets exactly what it missed; a comment line every 15 s
 * keeps proxies from closing an idle stream; `event: end` closes it when the deployment ends.
 *
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Executor } from '../store/schema.js';
import { deployBus, eventsAfter } from './events.js';
import type { Target } from './target.js';

const pingMs = 15_000;

export async function streamDeployEvents(db: Executor, deploymentId: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const header = request.headers['last-event-id'];
  const query = (request.query ?? {}) as Record<string, string | undefined>;
  let last = Number((Array.isArray(header) ? header[0] : header) ?? query.after ?? 0);
  if (!Number.isSafeInteger(last) || last < 0) last = 0;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write('retry: 1000\n\n');
  let closed = false;
  let wake: (() => void) | undefined;
  const onEvent = () => wake?.();
  deployBus.on(deploymentId, onEvent);
  request.raw.once('close', () => {
    closed = true;
    wake?.();
  });
  try {
    while (!closed) {
      for (const e of await eventsAfter(db, deploymentId, last)) {
        res.write(`id: ${e.seq}\nevent: log\ndata: ${JSON.stringify({ at: e.at, level: e.level, step: e.step, message: e.message })}\n\n`);
        last = e.seq;
      }
      const d = await db.selectFrom('deployments').select(['status', 'error']).where('id', '=', deploymentId).executeTakeFirst();
      if (query.follow === 'false') {
        res.write(`event: end\ndata: ${JSON.stringify({ status: d?.status ?? 'unknown', error: d?.error ?? null })}\n\n`);
        break;
      }
      if (!d || d.status === 'succeeded' || d.status === 'failed') {
        // Events written just before the status changed are already out: the end is the end.
        if ((await eventsAfter(db, deploymentId, last)).length === 0) {
          res.write(`event: end\ndata: ${JSON.stringify({ status: d?.status ?? 'unknown', error: d?.error ?? null })}\n\n`);
          break;
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          if (!closed) res.write(': ping\n\n');
          resolve();
        }, pingMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    deployBus.off(deploymentId, onEvent);
    res.end();
  }
}

/**
 * The output of an environment's running replicas as server-sent events (`event: log` with the
 * replica and the line), following until the client goes away. No ids: runtime output is not
 * replayable the way a deploy's log is.
 */
export async function streamRuntimeLogs(target: Target | null, labels: Record<string, string>, request: FastifyRequest, reply: FastifyReply, tail: number, why?: string): Promise<void> {
  const replicas = target ? (await target.list(labels)).filter((r) => r.running) : [];
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  const abort = new AbortController();
  request.raw.once('close', () => abort.abort());
  const ping = setInterval(() => res.write(': ping\n\n'), pingMs);
  try {
    await Promise.all(
      replicas.map(async (replica) => {
        for await (const entry of target!.follow(replica.name, abort.signal, tail)) {
          res.write(`event: log\ndata: ${JSON.stringify({ replica: replica.name, stream: entry.stream, line: entry.line })}\n\n`);
        }
      }),
    );
    res.write(`event: end\ndata: ${JSON.stringify({ replicas: replicas.length, reason: why ?? (replicas.length === 0 ? 'no container of the current release runs' : 'the containers stopped') })}\n\n`);
  } catch (error) {
    if (!abort.signal.aborted) res.write(`event: error\ndata: ${JSON.stringify({ message: (error as Error).message })}\n\n`);
  } finally {
    clearInterval(ping);
    res.end();
  }
}
