/**
 * Live updates: one server-sent events stream per workspace (GET /workspaces/{ws}/events) tells
 * every view on screen when a deploy or promotion changes state, so they refetch what they show
 * without a reload. After a reconnect every subscriber refetches (it may have missed changes).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { path } from '../api';
import { follow, type StreamState } from '../sse';
import type { Change } from '../types';

type Listener = (change: Change | null) => void;

interface Live {
  state: StreamState;
  subscribe(listener: Listener): () => void;
}

const LiveContext = createContext<Live>({ state: 'ended', subscribe: () => () => undefined });

export function LiveProvider({ ws, children }: { ws: string; children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const [state, setState] = useState<StreamState>('connecting');
  useEffect(() => {
    let opened = false;
    return follow(path('workspaces', ws, 'events'), {
      onEvent: (event) => {
        if (event.type !== 'change') return;
        const change = JSON.parse(event.data) as Change;
        for (const l of listeners.current) l(change);
      },
      onState: (s) => {
        setState(s);
        // A reconnect may have missed changes: everyone refetches.
        if (s === 'open' && opened) for (const l of listeners.current) l(null);
        if (s === 'open') opened = true;
      },
    });
  }, [ws]);
  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);
  const value = useMemo(() => ({ state, subscribe }), [state, subscribe]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

/** Calls `onChange` for each change that `filter` accepts (and after a reconnect, with null). */
export function useChanges(onChange: (change: Change | null) => void, filter: (change: Change) => boolean = () => true): void {
  const live = useContext(LiveContext);
  const handler = useRef({ onChange, filter });
  handler.current = { onChange, filter };
  useEffect(
    () =>
      live.subscribe((change) => {
        if (change === null || handler.current.filter(change)) handler.current.onChange(change);
      }),
    [live.subscribe],
  );
}

export function useLiveState(): StreamState {
  return useContext(LiveContext).state;
}
