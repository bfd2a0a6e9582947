/** The workspace a view is in, as `GET /workspaces/WS` answers: its tier and the caller's role there. */
import { get, path } from '../api';
import type { Workspace } from '../types';
import { useLoad, type Loaded } from './hooks';

export function useWorkspace(ws: string): Loaded<Workspace> {
  return useLoad(() => get<Workspace>(path('workspaces', ws)), `workspace:${ws}`);
}
