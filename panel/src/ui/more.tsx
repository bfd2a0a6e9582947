/**
 * The one "Show more" of the panel's history lists (promotions, runs, releases, deliveries,
 * notifications): `useShowMore` holds the limit to ask the API for (back to `first` when `key`
 * changes, e.g. a filter), `<ShowMore>` goes under the list.
 */
import { useState } from 'react';
import { moreState } from '../more';

export interface ShowMoreState {
  limit: number;
  first: number;
  max: number;
  setLimit(n: number): void;
}

export function useShowMore(first: number, max: number, key = ''): ShowMoreState {
  // The limit belongs to the key it was raised for: a new key starts at `first` in the same render (no request with the old limit).
  const [raised, setRaised] = useState<{ key: string; limit: number } | null>(null);
  const limit = raised?.key === key ? raised.limit : first;
  return { limit, first, max, setLimit: (n) => setRaised({ key, limit: n }) };
}

/** `shown`: how many the API answered for `more.limit`; `what`: the entries' name, plural. */
export function ShowMore({ more, shown, what, loading }: { more: ShowMoreState; shown: number | undefined; what: string; loading?: boolean }) {
  if (shown === undefined) return null;
  const state = moreState(shown, more.limit, more.first, more.max);
  if (state.next === null && !state.atMax) return null;
  return (
    <p className="actions" data-show-more={what}>
      <span className="muted">
        The newest {shown} {what}
        {state.atMax ? `: the most the API answers at once (older ones are kept but not listed here, nor by the CLI)` : ''}.
      </span>{' '}
      {state.next !== null && (
        <button type="button" className="ghost" disabled={loading} onClick={() => more.setLimit(state.next!)}>
          Show more
        </button>
      )}
    </p>
  );
}
