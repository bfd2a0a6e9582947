/**
 * Live updates: one server-sent events stream per workspace (GET /workspaces/{ws}/events) tells
 * every view on screen when a deploy or promotion changes state, a herd upgrade changes (the
 * server announces one at most about four times a second), or a service changes (created,
 * attached, detached — also when the server's sweep finished a detach —, backed up, upgraded…),
 * so they refetch what they show without a reload. Each time the stream opens (the first time too:
 * a view loaded before it was open may have missed a change) every subscriber refetches
 * (../live-hub.ts), and so does every subscriber when the server says it may have missed changes
 * (`resync`). Changes made through any control plane of a PostgreSQL store come on this stream.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { path } from '../api';
import { ChangeHub } from '../live-hub';
import { follow, type StreamState } from '../sse';
import type { Change, DeploymentChange, ServiceChange, UpgradeChange, VolumeChange } from '../types';

type Listener = (change: Change | null) => void;

interface Live {
  state: StreamState;
  subscribe(listener: Listener): () => void;
}

const LiveContext = createContext<Live>({ state: 'ended', subscribe: () => () => undefined });

export function LiveProvider({ ws, children }: { ws: string; children: ReactNode }) {
  const [hub] = useState(() => new ChangeHub<Change>());
  const [state, setState] = useState<StreamState>('connecting');
  useEffect(
    () =>
      follow(path('workspaces', ws, 'events'), {
        onEvent: (event) => {
          if (event.type !== 'change') return;
          const change = JSON.parse(event.data) as Change;
          // The server may have missed changes of other control planes: every view reads again.
          if (change.kind === 'resync') hub.resync();
          else hub.change(change);
        },
        onState: (s) => {
          setState(s);
          // Opened (first time or again): every view reads again, it may have missed changes.
          hub.state(s);
        },
      }),
    [ws, hub],
  );
  const subscribe = useCallback((listener: Listener) => hub.subscribe(listener), [hub]);
  const value = useMemo(() => ({ state, subscribe }), [state, subscribe]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

/** Calls `onChange` for each change of a kind `is` picks that `filter` accepts (and each time the stream opens, with null). */
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
const isVolume = (c: Change): c is VolumeChange => c.kind === 'volume';

/** Calls `onChange` for each deployment or promotion change that `filter` accepts (and each time the stream opens, with null). */
export function useChanges(onChange: (change: DeploymentChange | null) => void, filter: (change: DeploymentChange) => boolean = () => true): void {
  useKind(isDeployment, onChange, filter);
}

/** Calls `onChange` for each herd upgrade change that `filter` accepts (and each time the stream opens, with null). */
export function useUpgradeChanges(onChange: (change: UpgradeChange | null) => void, filter: (change: UpgradeChange) => boolean = () => true): void {
  useKind(isUpgrade, onChange, filter);
}

/** A backup of an attachment taken, removed or restored: nothing a service or attachment list shows. */
export const isBackupChange = (c: ServiceChange): boolean => c.change === 'backed-up' || c.change === 'backup-removed' || c.change === 'restored' || c.change === 'backup-scheduled' || c.change === 'backup-failed';

/** An attachment's backup schedule set, removed, or its last slot's outcome stored (a scheduled backup made or failed). */
export const isScheduleChange = (c: ServiceChange): boolean => c.change === 'backup-scheduled' || c.change === 'backup-failed' || c.change === 'backed-up';

/** Calls `onChange` for each service change that `filter` accepts (and each time the stream opens, with null). */
export function useServiceChanges(onChange: (change: ServiceChange | null) => void, filter: (change: ServiceChange) => boolean = () => true): void {
  useKind(isService, onChange, filter);
}

/** Calls `onChange` for each change of an environment volume's backups that `filter` accepts (and each time the stream opens, with null). */
export function useVolumeChanges(onChange: (change: VolumeChange | null) => void, filter: (change: VolumeChange) => boolean = () => true): void {
  useKind(isVolume, onChange, filter);
}

export function useLiveState(): StreamState {
  return useContext(LiveContext).state;
}
