/**
 * Pieces the servers' list and page share: where they live (the instance's, or one workspace's
 * dedicated servers), the state badge, the metrics as words, labels, token lifetimes.
 */
import { formatBytes } from '../format';
import { href } from '../router';
import type { ServerInfo, ServerMetrics } from '../types';
import { Badge, type Tone } from '../ui/bits';

/** The servers' list: the instance's (`/servers`), or a workspace's dedicated ones (`/w/WS/servers`). */
export const serversHref = (ws?: string) => (ws ? href('w', ws, 'servers') : href('servers'));
export const serverHref = (name: string, ws?: string) => (ws ? href('w', ws, 'servers', name) : href('servers', name));

const stateTones: Record<ServerInfo['state'], Tone> = { pending: 'info', connected: 'ok', unreachable: 'warn', revoked: 'bad' };
const stateHints: Record<ServerInfo['state'], string> = {
  pending: 'no agent has joined yet',
  connected: 'its agent holds a session now',
  unreachable: 'joined, but its agent has no session now',
  revoked: 'refused for good',
};

export function ServerState({ state }: { state: ServerInfo['state'] }) {
  return (
    <Badge tone={stateTones[state]} title={stateHints[state]}>
      {state}
    </Badge>
  );
}

export const cpuText = (m: ServerMetrics) => `${Math.round(m.cpuPercent)}% of ${m.cpus} CPU${m.cpus === 1 ? '' : 's'}`;
export const memoryText = (m: ServerMetrics) => `${formatBytes(m.memoryUsedBytes)} of ${formatBytes(m.memoryTotalBytes)}`;
export const diskText = (m: ServerMetrics) => `${formatBytes(m.diskUsedBytes)} of ${formatBytes(m.diskTotalBytes)}`;
export const containersText = (m: ServerMetrics) => (m.containers === null ? 'engine not answering' : String(m.containers));

export function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** Join token lifetimes the forms offer (the API takes 60 s to 24 h; 30 min is its default). */
export const tokenTtls = [
  { seconds: 900, label: '15 minutes' },
  { seconds: 1800, label: '30 minutes' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 14_400, label: '4 hours' },
  { seconds: 86_400, label: '24 hours' },
];

export function TtlSelect({ id, value, onChange }: { id: string; value: number; onChange(seconds: number): void }) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(Number(e.target.value))}>
      {tokenTtls.map((t) => (
        <option key={t.seconds} value={t.seconds}>
          {t.label}
        </option>
      ))}
    </select>
  );
}
