/**
 * A workspace's dedicated servers (`/w/WS/servers`, `/w/WS/servers/NAME`): the instance admin's
 * list and page, kept to the workspace, with the actions for its owners only. Another role gets a
 * note and whatever the API answers it (`SLW_FORBIDDEN` unless it owns some other workspace).
 */
import { mayOwn } from '../access';
import { ErrorNote, Loading } from '../ui/bits';
import { useWorkspace } from '../ui/workspace';
import { Server } from './Server';
import { Servers } from './Servers';

export function WorkspaceServers({ ws, server }: { ws: string; server?: string }) {
  const workspace = useWorkspace(ws);
  const role = workspace.data?.role;
  if (workspace.error) return <ErrorNote error={workspace.error} />;
  if (!role) return <Loading what="the workspace" />;
  const manage = mayOwn(role);
  return (
    <>
      {!manage && (
        <p className="note" role="note">
          Only the owners of {ws} see and manage the servers dedicated to it (your role here: {role}).
        </p>
      )}
      {server ? <Server name={server} ws={ws} manage={manage} /> : <Servers ws={ws} manage={manage} />}
    </>
  );
}
