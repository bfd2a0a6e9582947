/**
 * Runtime output has no ids to resume from (the engine gives lines, not sequence numbers): after
 * a reconnect, or Follow again, the server starts each container with its last `tail` lines
 * again. This drops those repeated lines, per replica, so the Logs tab resumes after the last
 * line it shows. Pure.
 *
 * What comes back for a replica is a window of its output: a suffix of what was shown (at most
 * `tail` lines), then what was written since. The longest prefix of the new lines that equals a
 * suffix of the shown ones is the repeat; lines are held back only while a longer repeat is still
 * possible, which the server settles within its `tail` lines (sent at once). Without ids, lines
 * written during the gap that are exactly the same as the last lines shown (a health check's
 * line over and over) cannot be told from the repeat and are not shown twice either.
 */
import type { RuntimeLine } from './types';

/** A replica's last lines shown (at most the largest tail the server sends), oldest first. */
const remembered = 50;

interface Matching {
  /** The replica's last lines shown before the reconnect. */
  shown: string[];
  /** Lengths of repeats still possible (longer than what came so far). */
  open: Set<number>;
  /** The longest repeat found complete so far. */
  repeat: number;
  /** What came since the reconnect, not shown yet. */
  held: RuntimeLine[];
}

const keyOf = (l: RuntimeLine) => `${l.stream}\u0000${l.line}`;

export class ReplayFilter {
  readonly #seen = new Map<string, string[]>();
  readonly #matching = new Map<string, Matching>();

  /** The stream starts again with the last `tail` lines of each container: compare what comes with what was shown. */
  resume(tail: number): void {
    this.#matching.clear();
    for (const [replica, keys] of this.#seen) {
      const shown = keys.slice(-tail);
      if (tail <= 0 || shown.length === 0) continue;
      this.#matching.set(replica, { shown, open: new Set(shown.map((_, i) => i + 1)), repeat: 0, held: [] });
    }
  }

  /** Forgets what was shown (a new tail asked for: the lines shown were cleared and come again on purpose). */
  forget(): void {
    this.#seen.clear();
    this.#matching.clear();
  }

  /** The lines to show now for one that came: none while it may still repeat one shown, else it (and those held before it). */
  take(line: RuntimeLine): RuntimeLine[] {
    const out = this.#match(line);
    for (const l of out) this.#remember(l);
    return out;
  }

  #match(line: RuntimeLine): RuntimeLine[] {
    const m = this.#matching.get(line.replica);
    if (!m) return [line];
    m.held.push(line);
    const i = m.held.length;
    const key = keyOf(line);
    // A repeat of length k is the last k lines shown: line i of it is shown[length - k + i - 1].
    for (const k of [...m.open]) {
      if (m.shown[m.shown.length - k + i - 1] !== key) m.open.delete(k);
      else if (k === i) {
        m.repeat = k;
        m.open.delete(k);
      }
    }
    if (m.open.size > 0) return [];
    this.#matching.delete(line.replica);
    return m.held.slice(m.repeat);
  }

  #remember(line: RuntimeLine): void {
    const keys = this.#seen.get(line.replica) ?? [];
    keys.push(keyOf(line));
    if (keys.length > remembered) keys.splice(0, keys.length - remembered);
    this.#seen.set(line.replica, keys);
  }
}
