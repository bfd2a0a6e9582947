/**
 * What the deploy context streams, as plain async generators of events (src/platform/sse.ts
 * writes them to a client): a deployment's log, an environment's runtime output, a workspace's
 * changes. Each stops when its `signal` aborts. The events' data are the API's stream shapes
 * (src/api/streams.ts).
 *
 * @module
 */
import { on } from 'node:events';
import type { DeployEnd, DeployLog, RuntimeEnd, RuntimeLine, StreamError, WorkspaceChange } from '../api/streams.js';
import type { SseMessage } from '../platform/sse.js';
import type { Executor } from '../store/schema.js';
import { deployBus, eventsAfter, workspaceChanges } from './events.js';
import type { Target } from './target.js';

/**
 * How long a log follower waits for a wake-up before it looks at the store again: the bus only
 * wakes followers in this process, so a deployment another control plane runs is seen this late.
 */
const recheckMs = 15_000;

/** Resolves on the next wake-up, after `ms`, or when `signal` aborts; a wake-up before the wait counts. */
function waker(signal: AbortSignal) {
  let pending = false;
  let wake: (() => void) | undefined;
  return {
    wake: () => {
      pending = true;
      wake?.();
    },
    wait: (ms: number) =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          wake = undefined;
          pending = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal.addEventListener('abort', done, { once: true });
        wake = done;
        if (pending || signal.aborted) done();
      }),
  };
}

/**
 * A deployment's log from after event `after`: `log` events whose id is the event's sequence
 * number (a client that reconnects with Last-Event-ID gets exactly what it missed), then `end`
 * when the deployment has ended — or at once without `follow`.
 */
export async function* deployLog(db: Executor, deploymentId: string, after: number, follow: boolean, signal: AbortSignal): AsyncGenerator<SseMessage> {
  let last = after;
  const bus = waker(signal);
  deployBus.on(deploymentId, bus.wake);
  try {
    while (!signal.aborted) {
      for (const e of await eventsAfter(db, deploymentId, last)) {
        yield { id: e.seq, event: 'log', data: { at: e.at, level: e.level, step: e.step, message: e.message } satisfies DeployLog };
        last = e.seq;
      }
      const d = await db.selectFrom('deployments').select(['status', 'error', 'logs_pruned_at']).where('id', '=', deploymentId).executeTakeFirst();
      const end = { event: 'end', data: { status: d?.status ?? 'unknown', error: d?.error ?? null, logsPrunedAt: d?.logs_pruned_at ?? null } satisfies DeployEnd };
      if (!follow) {
        yield end;
        return;
      }
      if (!d || d.status === 'succeeded' || d.status === 'failed' || d.status === 'cancelled') {
        // Events written just before the status changed are already out: the end is the end.
        if ((await eventsAfter(db, deploymentId, last)).length === 0) {
          yield end;
          return;
        }
        continue;
      }
      await bus.wait(recheckMs);
    }
  } finally {
    deployBus.off(deploymentId, bus.wake);
  }
}

/** Where `last-event-id` (or `?after=`) says a deploy log resumes: 0 for anything but a whole number. */
export function resumeAfter(lastEventId: string | undefined, after: string | undefined): number {
  const n = Number(lastEventId ?? after ?? 0);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/**
 * The output of an environment's running replicas, following: `log` events (no ids: runtime
 * output is not replayable the way a deploy's log is), then `end` with how many replicas ran and
 * why it ended, or `error` when the output could not be read. What runs is observed before the
 * stream starts, so a target that cannot answer fails the request instead.
 */
export async function runtimeOutput(target: Target | null, workload: string | null, tail: number, why?: string): Promise<(signal: AbortSignal) => AsyncGenerator<SseMessage>> {
  const status = target && workload ? await target.observe(workload) : null;
  const replicas = status?.instances.filter((i) => i.state === 'running').length ?? 0;
  return async function* (signal) {
    try {
      if (replicas > 0) {
        for await (const entry of target!.follow(workload!, signal, tail)) {
          yield { event: 'log', data: { replica: entry.source, stream: entry.stream, line: entry.line } satisfies RuntimeLine };
        }
      }
      yield { event: 'end', data: { replicas, reason: why ?? (replicas === 0 ? 'no container of the current release runs' : 'the containers stopped') } satisfies RuntimeEnd };
    } catch (error) {
      if (!signal.aborted) yield { event: 'error', data: { message: (error as Error).message } satisfies StreamError };
    }
  };
}

/** Ids of change events: increasing within this process (no replay, so they only order). */
let changeSeq = 0;

/**
 * A workspace's changes: `change` events with a {@link WorkspaceChange} for every deployment or
 * promotion that changes state, for herd upgrades that change (coalesced, src/herds/changes.ts)
 * and for services that change (src/services/changes.ts), whichever control plane of a PostgreSQL
 * store announced it (src/deploy/change-relay.ts; `resync` when some may have been missed),
 * live only (a client refetches what it shows when it connects or reconnects, so nothing is
 * replayed). Never ends by itself.
 */
export async function* workspaceChangeEvents(workspaceId: string, signal: AbortSignal): AsyncGenerator<SseMessage> {
  try {
    for await (const [change] of on(workspaceChanges, workspaceId, { signal })) {
      yield { id: ++changeSeq, event: 'change', data: change as WorkspaceChange };
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}
