/** Loading API data in a view: the value, the error (as the API gave it) and a reload. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
}

export function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError('SLW_PANEL', (error as Error)?.message ?? String(error), 0);
}

/**
 * Runs `load` now and whenever `key` changes; reload() runs it again, keeping the old data on
 * screen meanwhile. The old data goes when `clearKey` (default: `key`) changes: a longer list
 * (Show more) keeps what it shows until the longer one comes, a new filter does not.
 */
export function useLoad<T>(load: () => Promise<T>, key: string, clearKey: string = key): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let live = true;
    setLoading(true);
    latest
      .current()
      .then((value) => {
        if (!live) return;
        setData(value);
        setError(null);
      })
      .catch((e: unknown) => live && setError(toApiError(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [key, tick]);
  useEffect(() => setData(undefined), [clearKey]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** An action button's state: running while the promise runs, its error kept for display. */
export function useAction(): { busy: boolean; error: ApiError | null; run<T>(action: () => Promise<T>): Promise<T | undefined>; clear(): void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  return {
    busy,
    error,
    clear: () => setError(null),
    run: async (action) => {
      setBusy(true);
      setError(null);
      try {
        return await action();
      } catch (e) {
        setError(toApiError(e));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
  };
}

/** Calls `reload` every `ms` while `active` (for state the live stream does not announce, such as a site's deploy or a pipeline run). */
export function usePoll(reload: () => void, active: boolean, ms = 2000): void {
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(reload, ms);
    return () => clearInterval(timer);
  }, [reload, active, ms]);
}

/** `fn` at most once every `ms`; a call inside that time runs when it is up (a burst of changes asks for one reload, not fifty). */
export function useThrottled(fn: () => void, ms: number): () => void {
  const latest = useRef(fn);
  latest.current = fn;
  const state = useRef<{ last: number; timer: ReturnType<typeof setTimeout> | null }>({ last: 0, timer: null });
  useEffect(
    () => () => {
      if (state.current.timer) clearTimeout(state.current.timer);
    },
    [],
  );
  return useCallback(() => {
    const s = state.current;
    if (s.timer) return;
    const wait = s.last + ms - Date.now();
    const fire = () => {
      s.timer = null;
      s.last = Date.now();
      latest.current();
    };
    if (wait <= 0) fire();
    else s.timer = setTimeout(fire, wait);
  }, [ms]);
}
