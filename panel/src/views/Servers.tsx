/**
 * Servers: state, last heartbeat, agent, what its agent last reported, labels; and adding one.
 * The instance's (instance admins, every server), or a workspace's dedicated ones (`ws`: the same
 * `GET /servers`, which answers an owner the servers of the workspaces they own, kept to this one).
 */
import { get } from '../api';
import { ago } from '../format';
import type { ServerList } from '../types';
import { ErrorNote, Link, Loading, Table } from '../ui/bits';
import { useLoad, usePoll } from '../ui/hooks';
import { AddServer } from './AddServer';
import { containersText, cpuText, diskText, labelsText, memoryText, serverHref, ServerState } from './ServerBits';

/**
 * Servers are not on a workspace's change stream, so the list is read again every 5 s: agents
 * beat every 10 s by default, so a state or a figure on screen is at most one beat behind.
 */
export const serversPollMs = 5000;

/** `ws`: a workspace's dedicated servers; `manage`: whether to offer adding one (an owner's, or the instance admin's page). */
export function Servers({ ws, manage = true }: { ws?: string; manage?: boolean }) {
  const servers = useLoad(() => get<ServerList>('servers'), 'servers');
  usePoll(servers.reload, true, serversPollMs);
  const list = (servers.data?.servers ?? []).filter((s) => !ws || s.workspace === ws);
  const none = ws ? `No servers dedicated to ${ws} yet` : 'No servers yet';
  return (
    <section aria-labelledby="servers-title">
      <h1 id="servers-title">{ws ? 'Dedicated servers' : 'Servers'}</h1>
      {ws && <p className="muted">Servers dedicated to workspace {ws}: only its environments run there, and its owners manage them (as <code>slipway server add NAME -w {ws}</code> adds one).</p>}
      <ErrorNote error={servers.error} />
      {!servers.data && !servers.error && <Loading what="servers" />}
      {/* Not to another role: the API answers it only the servers of workspaces it owns, so an empty list says nothing of this one. */}
      {servers.data && list.length === 0 && manage && <p className="muted">{none}: add one below and run its join command on the machine.</p>}
      {list.length > 0 && (
        <Table caption="Servers joined by agents" columns={['Name', ...(ws ? [] : ['Dedicated to']), 'State', 'Last heartbeat', 'Agent', 'CPU', 'Memory', 'Disk', 'Containers', 'Labels']}>
          {list.map((s) => (
            <tr key={s.name} data-server={s.name} data-state={s.state}>
              <td>
                <Link to={serverHref(s.name, ws)}>{s.name}</Link>
              </td>
              {!ws && <td>{s.workspace ?? '—'}</td>}
              <td>
                <ServerState state={s.state} />
              </td>
              <td>{s.lastHeartbeatAt ? <time dateTime={s.lastHeartbeatAt} title={new Date(s.lastHeartbeatAt).toLocaleString()}>{ago(s.lastHeartbeatAt)}</time> : '—'}</td>
              <td>{s.agentVersion ?? '—'}</td>
              <td>{s.metrics ? cpuText(s.metrics) : '—'}</td>
              <td>{s.metrics ? memoryText(s.metrics) : '—'}</td>
              <td>{s.metrics ? diskText(s.metrics) : '—'}</td>
              <td>{s.metrics ? containersText(s.metrics) : '—'}</td>
              <td>{labelsText(s.labels) || '—'}</td>
            </tr>
          ))}
        </Table>
      )}
      {manage && <AddServer onAdded={servers.reload} {...(ws ? { workspace: ws } : {})} />}
    </section>
  );
}
