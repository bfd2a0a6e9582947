/**
 * Polls asked for by upstream hook calls, rate-limited per application: at most one poll starts
 * per application every `minGapMs` (5 s by default). A call while a poll runs, or within the gap
 * after one started, is folded into one follow-up poll at the end of the gap, however many calls
 * came: a registry sending an event per layer and per tag, or a sender retrying, costs the
 * upstream one tag listing per gap. The follow-up is needed because a poll under way may have
 * listed the tags before the push the call reports.
 *
 * State is per process: with several control planes, each limits its own share (and concurrent
 * polls of one application are safe: a version is recorded and announced once).
 *
 * @module
 */

export type TriggerAnswer = 'polling' | 'coalesced';

interface State {
  running: boolean;
  /** Another poll was asked for while this one ran or waited. */
  again: boolean;
  lastStart: number;
  timer: NodeJS.Timeout | undefined;
}

export class UpstreamTrigger {
  readonly #poll: (applicationId: string) => Promise<void>;
  readonly #minGapMs: number;
  readonly #now: () => number;
  readonly #states = new Map<string, State>();
  readonly #inFlight = new Set<Promise<void>>();
  #stopped = false;

  constructor(poll: (applicationId: string) => Promise<void>, options: { minGapMs?: number; now?: () => number } = {}) {
    this.#poll = poll;
    this.#minGapMs = options.minGapMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  /** Asks for a poll of the application: now, or folded into the next one. */
  request(applicationId: string): TriggerAnswer {
    if (this.#stopped) return 'coalesced';
    const state = this.#states.get(applicationId) ?? { running: false, again: false, lastStart: -Infinity, timer: undefined };
    this.#states.set(applicationId, state);
    if (state.running || state.timer) {
      state.again = true;
      return 'coalesced';
    }
    const wait = state.lastStart + this.#minGapMs - this.#now();
    if (wait > 0) {
      this.#schedule(applicationId, state, wait);
      return 'coalesced';
    }
    this.#start(applicationId, state);
    return 'polling';
  }

  /** Stops scheduling; waits for the polls under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const s of this.#states.values()) clearTimeout(s.timer);
    await Promise.all([...this.#inFlight]);
  }

  #schedule(applicationId: string, state: State, wait: number): void {
    state.again = false;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (!this.#stopped) this.#start(applicationId, state);
    }, wait);
    state.timer.unref();
  }

  #start(applicationId: string, state: State): void {
    state.running = true;
    state.again = false;
    state.lastStart = this.#now();
    const run = this.#poll(applicationId)
      .catch(() => undefined)
      .finally(() => {
        state.running = false;
        this.#inFlight.delete(run);
        if (this.#stopped) return;
        const rest = Math.max(0, state.lastStart + this.#minGapMs - this.#now());
        if (state.again) return this.#schedule(applicationId, state, rest);
        // Nothing more asked for: forget the application once its gap is over (the map holds only recent ones).
        setTimeout(() => {
          if (!state.running && !state.timer && this.#states.get(applicationId) === state) this.#states.delete(applicationId);
        }, rest).unref();
      });
    this.#inFlight.add(run);
  }
}
