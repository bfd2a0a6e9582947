/**
 * Server-sent event streams. A deployment's log: `id` is the event's sequence number, so a
 * client that reconnects with `Last-Event-ID` gets exactly what it missed; `event: end` closes it
 * when the deployment ends. An environment's runtime output, following. A workspace's changes,
 * never ending (until the client goes or the server stops). On all of them a comment line every
 * 15 s keeps proxies from closing an idle stream.
 *
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Executor } from '../store/schema.js';
import { deployBus, eventsAfter, workspaceChanges, type WorkspaceChange } from './events.js';
import type { Target } from './target.js';

const pingMs = 15_000;
const sseHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' };

export async function streamDeployEvents(db: Executor, deploymentId: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const header = request.headers['last-event-id'];
  const query = (request.query ?? {}) as Record<string, string | undefined>;
  let last = Number((Array.isArray(header) ? header[0] : header) ?? query.after ?? 0);
  if (!Number.isSafeInteger(last) || last < 0) last = 0;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, sseHeaders);
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
      if (!d || d.status === 'succeeded' || d.status === 'failed' || d.status === 'cancelled') {
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
export async function streamRuntimeLogs(target: Target | null, workload: string | null, request: FastifyRequest, reply: FastifyReply, tail: number, why?: string): Promise<void> {
  const status = target && workload ? await target.observe(workload) : null;
  const running = status?.instances.filter((i) => i.state === 'running') ?? [];
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, sseHeaders);
  const abort = new AbortController();
  request.raw.once('close', () => abort.abort());
  const ping = setInterval(() => res.write(': ping\n\n'), pingMs);
  try {
    if (running.length > 0) {
      for await (const entry of target!.follow(workload!, abort.signal, tail)) {
        res.write(`event: log\ndata: ${JSON.stringify({ replica: entry.source, stream: entry.stream, line: entry.line })}\n\n`);
      }
    }
    res.write(`event: end\ndata: ${JSON.stringify({ replicas: running.length, reason: why ?? (running.length === 0 ? 'no container of the current release runs' : 'the containers stopped') })}\n\n`);
  } catch (error) {
    if (!abort.signal.aborted) res.write(`event: error\ndata: ${JSON.stringify({ message: (error as Error).message })}\n\n`);
  } finally {
    clearInterval(ping);
    res.end();
  }
}

/** Ids of change events: increasing within this process (no replay, so they only order). */
let changeSeq = 0;
/** The open change streams of each HTTP server, so that a stopping server can end them. */
const openStreams = new WeakMap<object, Set<() => void>>();
const stopping = new WeakSet<object>();

/**
 * A workspace's changes as server-sent events: `event: change` with a {@link WorkspaceChange}
 * for every deployment or promotion that changes state, live only. A client refetches what it
 * shows when it connects or reconnects, so nothing is replayed.
 */
export async function streamWorkspaceChanges(workspaceId: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const server = request.server.server;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, sseHeaders);
  res.write('retry: 1000\n\n');
  await new Promise<void>((resolve) => {
    const send = (text: string) => {
      if (!res.writableEnded && !res.destroyed) res.write(text);
    };
    const onChange = (change: WorkspaceChange) => send(`id: ${++changeSeq}\nevent: change\ndata: ${JSON.stringify(change)}\n\n`);
    const ping = setInterval(() => send(': ping\n\n'), pingMs);
    const streams = openStreams.get(server) ?? new Set<() => void>();
    openStreams.set(server, streams);
    const end = () => {
      clearInterval(ping);
      workspaceChanges.off(workspaceId, onChange);
      streams.delete(end);
      if (!res.writableEnded && !res.destroyed) res.end();
      resolve();
    };
    workspaceChanges.on(workspaceId, onChange);
    streams.add(end);
    res.once('close', end);
    if (stopping.has(server)) end();
  });
}

/** Ends the change streams of a server that stops (they would hold its close open forever). */
export function endWorkspaceStreams(server: object): void {
  stopping.add(server);
  for (const end of [...(openStreams.get(server) ?? [])]) end();
}
