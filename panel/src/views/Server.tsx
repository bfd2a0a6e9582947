/**
 * One server (an instance admin's, or a workspace's dedicated one on that workspace's page): its
 * state and details, what its agent last reported, the last hour's charts, and, for who manages
 * it, the actions.
 */
import type { ReactNode } from 'react';
import { get, path } from '../api';
import { relative } from '../format';
import { navigate } from '../router';
import type { ServerInfo } from '../types';
import { ErrorNote, Loading } from '../ui/bits';
import { useLoad, usePoll } from '../ui/hooks';
import { ServerActions } from './ServerActions';
import { containersText, cpuText, diskText, labelsText, memoryText, ServerState, serversHref } from './ServerBits';
import { ServerCharts } from './ServerCharts';
import { serversPollMs } from './Servers';

const when = (iso: string | null, suffix: ReactNode = null) =>
  iso ? (
    <>
      <time dateTime={iso}>{new Date(iso).toLocaleString()}</time> <span className="muted">({relative(iso)})</span> {suffix}
    </>
  ) : (
    '—'
  );

/** `ws`: shown on a workspace's pages (back there when removed); `manage`: whether to offer the actions. */
export function Server({ name, ws, manage = true }: { name: string; ws?: string; manage?: boolean }) {
  const url = path('servers', name);
  const server = useLoad(() => get<ServerInfo>(url), url);
  usePoll(server.reload, true, serversPollMs);
  const s = server.data;
  const m = s?.metrics;
  return (
    <section aria-labelledby="server-title">
      <div className="heading-row">
        <h1 id="server-title">
          Server {name} {s && <ServerState state={s.state} />}
        </h1>
      </div>
      {s && manage && <ServerActions server={s} onChanged={server.reload} onRemoved={() => navigate(serversHref(ws))} />}
      <ErrorNote error={server.error} />
      {!s && !server.error && <Loading what="the server" />}
      {s && (
        <dl className="card facts server-facts">
          <dt>Dedicated to</dt>
          <dd>{s.workspace ? `workspace ${s.workspace} (only its environments run here)` : 'the whole instance'}</dd>
          <dt>Labels</dt>
          <dd>{labelsText(s.labels) || '—'}</dd>
          <dt>Hostname</dt>
          <dd>{s.hostname ?? '—'}</dd>
          <dt>Advertise address</dt>
          <dd>{s.advertiseAddress ? <code>{s.advertiseAddress}</code> : '—'}</dd>
          <dt>Agent version</dt>
          <dd>{s.agentVersion ?? '—'}</dd>
          <dt>Last heartbeat</dt>
          <dd>{when(s.lastHeartbeatAt)}</dd>
          <dt>Certificate expires</dt>
          <dd>{when(s.certificateExpiresAt, s.state === 'connected' ? <span className="muted small">the agent renews it before then</span> : null)}</dd>
          <dt>Placed here</dt>
          <dd>{s.placed && s.placed.length > 0 ? s.placed.join(', ') : 'nothing'}</dd>
          <dt>Added</dt>
          <dd>{when(s.createdAt)}</dd>
          <dt>Joined</dt>
          <dd>{when(s.enrolledAt)}</dd>
          {s.revokedAt && (
            <>
              <dt>Revoked</dt>
              <dd>{when(s.revokedAt)}</dd>
            </>
          )}
          <dt>CPU</dt>
          <dd>{m ? `${cpuText(m)}, load ${m.load1.toFixed(2)}` : '—'}</dd>
          <dt>Memory</dt>
          <dd>{m ? memoryText(m) : '—'}</dd>
          <dt>Disk</dt>
          <dd>{m ? diskText(m) : '—'}</dd>
          <dt>Containers</dt>
          <dd>{m ? containersText(m) : '—'}</dd>
        </dl>
      )}
      {s && s.state !== 'pending' && <ServerCharts server={s} />}
    </section>
  );
}
