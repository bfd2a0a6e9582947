/** A server's CPU, memory and disk over the last hour, from its agent's heartbeats (kept in the control plane's memory). */
import { get, path } from '../api';
import { series } from '../chart';
import type { ServerInfo, ServerMetricsHistory } from '../types';
import { ErrorNote } from '../ui/bits';
import { LineChart } from '../ui/chart';
import { useLoad, usePoll } from '../ui/hooks';
import { cpuText, diskText, memoryText } from './ServerBits';
import { serversPollMs } from './Servers';

export function ServerCharts({ server }: { server: ServerInfo }) {
  const url = path('servers', server.name, 'metrics');
  const history = useLoad(() => get<ServerMetricsHistory>(url), url);
  // Read as often as the list (one beat behind at most); only while an agent can be beating.
  usePoll(history.reload, server.state === 'connected', serversPollMs);
  const samples = history.data?.samples ?? [];
  const m = server.metrics;
  return (
    <section className="panel-section" aria-labelledby="charts-title">
      <h2 id="charts-title">The last hour</h2>
      <ErrorNote error={history.error} />
      {history.data && samples.length === 0 && (
        <p className="muted">No samples yet: they arrive with the agent's heartbeats (the control plane keeps them in memory, so a restart starts the charts anew).</p>
      )}
      <div className="charts">
        <LineChart label="CPU" points={series('cpu', samples)} now={m ? cpuText(m) : '—'} />
        <LineChart label="Memory" points={series('memory', samples)} now={m ? memoryText(m) : '—'} />
        <LineChart label="Disk" points={series('disk', samples)} now={m ? diskText(m) : '—'} />
      </div>
    </section>
  );
}
