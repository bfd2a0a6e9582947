/**
 * Live updates: one server-sent events stream per workspace (GET /workspaces/{ws}/events) tells
 * every view on screen when a deploy or promotion changes state, a herd upgrade changes (the
 * server announces one at most about four times a second), or a service changes (created,
 * attached, detached — also when the server's sweep finished a detach —, backed up, upgraded…),
 * so they refetch what they show without a reload. After a reconnect every subscriber refetches (it may have missed changes).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { path } from '../api';
import { follow, type StreamState } from '../sse';
import type { Change, DeploymentChange, ServiceChange, UpgradeChange } from '../types';

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

/** Calls `onChange` for each change of a kind `is` picks that `filter` accepts (and after a reconnect, with null). */
function useKind<C extends Change>(is: (change: Change) => change is C, onChange: (change: C | null) => void, filter: (change: C) => boolean): void {
  const live = useContext(LiveContext);
  const handler = useRef({ onChange, filter });
  handler.current = { onChange, filter };
  useEffect(
    () =>
      live.subscribe((change) => {
        if (change === null) handler.current.onChange(null);
        else if (is(change) && handler.current.filter(change)) handler.current.onChange(change);
      }),
    [live.subscribe, is],
  );
}

const isDeployment = (c: Change): c is DeploymentChange => c.kind === 'deployment' || c.kind === 'promotion';
const isUpgrade = (c: Change): c is UpgradeChange => c.kind === 'upgrade';
const isService = (c: Change): c is ServiceChange => c.kind === 'service';

/** Calls `onChange` for each deployment or promotion change that `filter` accepts (and after a reconnect, with null). */
export function useChanges(onChange: (change: DeploymentChange | null) => void, filter: (change: DeploymentChange) => boolean = () => true): void {
  useKind(isDeployment, onChange, filter);
}

/** Calls `onChange` for each herd upgrade change that `filter` accepts (and after a reconnect, with null). */
export function useUpgradeChanges(onChange: (change: UpgradeChange | null) => void, filter: (change: UpgradeChange) => boolean = () => true): void {
  useKind(isUpgrade, onChange, filter);
}

/** A backup of an attachment taken, removed or restored: nothing a service or attachment list shows. */
export const isBackupChange = (c: ServiceChange): boolean => c.change === 'backed-up' || c.change === 'backup-removed' || c.change === 'restored';

/** Calls `onChange` for each service change that `filter` accepts (and after a reconnect, with null). */
export function useServiceChanges(onChange: (change: ServiceChange | null) => void, filter: (change: ServiceChange) => boolean = () => true): void {
  useKind(isService, onChange, filter);
}

export function useLiveState(): StreamState {
  return useContext(LiveContext).state;
}
