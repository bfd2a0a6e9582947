/** The instance's servers (instance admins): state, last heartbeat, agent, what its agent last reported, labels; and adding one. */
import { get } from '../api';
import { ago } from '../format';
import { href } from '../router';
import type { ServerList } from '../types';
import { ErrorNote, Link, Loading, Table } from '../ui/bits';
import { useLoad, usePoll } from '../ui/hooks';
import { AddServer } from './AddServer';
import { containersText, cpuText, diskText, labelsText, memoryText, ServerState } from './ServerBits';

/**
 * Servers are not on a workspace's change stream, so the list is read again every 5 s: agents
 * beat every 10 s by default, so a state or a figure on screen is at most one beat behind.
 */
export const serversPollMs = 5000;

export function Servers() {
  const servers = useLoad(() => get<ServerList>('servers'), 'servers');
  usePoll(servers.reload, true, serversPollMs);
  const list = servers.data?.servers ?? [];
  return (
    <section aria-labelledby="servers-title">
      <h1 id="servers-title">Servers</h1>
      <ErrorNote error={servers.error} />
      {!servers.data && !servers.error && <Loading what="servers" />}
      {servers.data && list.length === 0 && <p className="muted">No servers yet: add one below and run its join command on the machine.</p>}
      {list.length > 0 && (
        <Table caption="Servers joined by agents" columns={['Name', 'Dedicated to', 'State', 'Last heartbeat', 'Agent', 'CPU', 'Memory', 'Disk', 'Containers', 'Labels']}>
          {list.map((s) => (
            <tr key={s.name} data-server={s.name} data-state={s.state}>
              <td>
                <Link to={href('servers', s.name)}>{s.name}</Link>
              </td>
              <td>{s.workspace ?? '—'}</td>
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
      <AddServer onAdded={servers.reload} />
    </section>
  );
}
