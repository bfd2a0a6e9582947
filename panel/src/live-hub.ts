/**
 * The panel's fan-out of the workspace change stream to the views on screen, without React (so
 * its rule is tested on its own): each change goes to every subscriber; and every time the stream
 * opens — the first time as well as after a reconnect — every subscriber gets `null`, meaning
 * "read what you show again"; so it does when the server says it may have missed changes (a
 * `resync` change: its link to the other control planes of a PostgreSQL store dropped). A view loads its data as it mounts, while the stream may not be
 * open yet: a change stored between that load and the stream's opening is on no stream, so the
 * open itself must trigger a read. (The server subscribes to the changes before its answer's
 * headers go out, so a read started once the stream is open misses nothing.) A view that mounts
 * while the stream is open loads after that subscription and needs no such read.
 */
import type { StreamState } from './sse';

export type Listener<C> = (change: C | null) => void;

export class ChangeHub<C> {
  readonly #listeners = new Set<Listener<C>>();

  subscribe(listener: Listener<C>): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** A change from the stream: to every subscriber. */
  change(change: C): void {
    for (const l of [...this.#listeners]) l(change);
  }

  /** The server may have missed changes (a `resync` change: its link to the other control planes was back): every subscriber reads again. */
  resync(): void {
    for (const l of [...this.#listeners]) l(null);
  }

  /** The stream's state: on each open, every subscriber reads again. */
  state(state: StreamState): void {
    if (state === 'open') for (const l of [...this.#listeners]) l(null);
  }

  get size(): number {
    return this.#listeners.size;
  }
}
