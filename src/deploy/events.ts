/**
 * A deploy's log: numbered events in the store (the SSE stream's ids), and an in-process signal
 * so followers wake up at once instead of polling. Also the workspace change signal: every state
 * change of a deployment or promotion (and herd upgrades' changes, src/herds/changes.ts),
 * announced after it is stored, for the workspace's change stream (not stored: a client
 * refetches what it shows when it (re)connects). On PostgreSQL each announcement also goes to
 * the other control planes of the store, which deliver it to their followers
 * (src/deploy/change-relay.ts).
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import type { WorkspaceChange } from '../api/streams.js';
import { nowIso } from '../platform/time.js';
import type { Executor } from '../store/schema.js';

export interface DeployEvent {
  seq: number;
  at: string;
  level: string;
  step: string;
  message: string;
}

/** Wakes followers of a deployment when an event is appended or its status changes. */
export const deployBus = new EventEmitter();
deployBus.setMaxListeners(0);

/** A deployment, promotion or herd upgrade that changed, as the workspace change stream sends it (the API's shape). */
export type { WorkspaceChange };

/** A change as announced: its time is added when it is sent. */
export type AnnouncedChange = WorkspaceChange extends infer C ? (C extends WorkspaceChange ? Omit<C, 'at'> : never) : never;

/** Announces workspace changes; the event name is the workspace id, the argument a {@link WorkspaceChange}. */
export const workspaceChanges = new EventEmitter();
workspaceChanges.setMaxListeners(0);

/** Every ended deployment, whatever its workspace (event `ended`, argument the deployment id): controllers waiting on one are woken at once. */
export const deploymentsEnded = new EventEmitter();
deploymentsEnded.setMaxListeners(0);

/** Something that carries this process's announcements further (src/deploy/change-relay.ts: to the other control planes). */
export type ChangeOutlet = (workspaceId: string, change: WorkspaceChange) => void;
const outlets = new Set<ChangeOutlet>();

/** Adds an outlet for every later announcement of this process; returns its removal. */
export function addChangeOutlet(outlet: ChangeOutlet): () => void {
  outlets.add(outlet);
  return () => void outlets.delete(outlet);
}

/** Tells the workspace's followers about a change already stored (and the outlets: other processes' followers); a follower's failure never fails the caller. */
export function announceChange(workspaceId: string, change: AnnouncedChange): void {
  const full = { ...change, at: nowIso() } as WorkspaceChange;
  deliverChange(workspaceId, full);
  for (const outlet of outlets) {
    try {
      outlet(workspaceId, full);
    } catch {
      // An outlet reports its own failures.
    }
  }
}

/** Gives a change to this process's followers only: one announced here, or relayed from another process. */
export function deliverChange(workspaceId: string, change: WorkspaceChange): void {
  if (workspaceId === 'error') return;
  try {
    if (change.kind === 'deployment' && (change.status === 'succeeded' || change.status === 'failed' || change.status === 'cancelled')) deploymentsEnded.emit('ended', change.id);
    workspaceChanges.emit(workspaceId, change);
  } catch {
    // A follower that cannot write has gone away; it removes itself when its stream closes.
  }
}

/**
 * Tells this process's followers of `workspaceIds` (default: every workspace followed here) that
 * changes may have been missed (`kind: resync`): they read again what they show.
 */
export function announceResync(workspaceIds?: Iterable<string>): void {
  // Followers (events.on) listen to 'error' too: never an id, never emitted here.
  const ids = workspaceIds ?? workspaceChanges.eventNames().filter((n): n is string => typeof n === 'string' && n !== 'error');
  for (const id of ids) deliverChange(id, { kind: 'resync', at: nowIso() });
}

/**
 * Appends a line to a deployment's log and wakes its followers. Inside a transaction pass
 * `wake: false` and wake them after the commit (`deployBus.emit(id)`): woken before it, a
 * follower on another connection would not see the line yet and sleep until its next check.
 */
export async function appendEvent(db: Executor, deploymentId: string, step: string, message: string, level = 'info', options: { wake?: boolean } = {}): Promise<DeployEvent> {
  const last = await db.selectFrom('deploy_events').select((eb) => eb.fn.max('seq').as('seq')).where('deployment_id', '=', deploymentId).executeTakeFirst();
  const event: DeployEvent = { seq: Number(last?.seq ?? 0) + 1, at: nowIso(), level, step, message: message.slice(0, 4000) };
  await db.insertInto('deploy_events').values({ deployment_id: deploymentId, ...event }).execute();
  if (options.wake !== false) deployBus.emit(deploymentId);
  return event;
}

export async function eventsAfter(db: Executor, deploymentId: string, after: number): Promise<DeployEvent[]> {
  return db.selectFrom('deploy_events').select(['seq', 'at', 'level', 'step', 'message']).where('deployment_id', '=', deploymentId).where('seq', '>', after).orderBy('seq').limit(1000).execute();
}
