/**
 * The agents connected to this control plane now, kept in memory (liveness is not written to the
 * database at every beat: a server's row changes on connect, on disconnect and at most every
 * {@link persistEveryMs} while it beats).
 *
 * @module
 */
import type { GatewayMessage } from '../api/agent-protocol.js';
import type { ServerMetrics } from '../api/servers.js';
import { MetricsHistory, type MetricsSample } from './history.js';

/** One agent's live connection, whatever carries it. */
export interface AgentChannel {
  send(message: GatewayMessage): void;
  close(code: number, reason: string): void;
}

interface Live {
  channel: AgentChannel;
  since: number;
  lastBeatMs: number | null;
  lastWrittenMs: number;
  metrics: ServerMetrics | null;
}

/** A live session's row fields, as list and show merge them in. */
export interface LiveView {
  connected: boolean;
  lastHeartbeatMs: number | null;
  metrics: ServerMetrics | null;
}

export const persistEveryMs = 30_000;

/** WebSocket close codes the gateway uses (4000 + the HTTP status of the matching error). */
export const closeCodes = { revoked: 4403, unauthenticated: 4401, replaced: 4409, protocol: 4400, shutdown: 1001 } as const;

export class AgentSessions {
  private readonly live = new Map<string, Live>();
  private readonly history = new MetricsHistory();
  /** Heartbeats seen since start (for the gateway's metrics and the bench). */
  beats = 0;

  /** Registers a session; an older one of the same server is closed (the agent reconnected). */
  attach(serverId: string, channel: AgentChannel, replacedCode: number): void {
    const old = this.live.get(serverId);
    if (old && old.channel !== channel) old.channel.close(replacedCode, 'replaced by a newer session of this server');
    this.live.set(serverId, { channel, since: Date.now(), lastBeatMs: null, lastWrittenMs: 0, metrics: null });
  }

  /** Forgets a session that ended (only if it is still the server's current one). */
  detach(serverId: string, channel: AgentChannel): boolean {
    const s = this.live.get(serverId);
    if (s?.channel !== channel) return false;
    this.live.delete(serverId);
    return true;
  }

  /** Records a heartbeat; true when the row should be written now. */
  heartbeat(serverId: string, metrics: ServerMetrics, now = Date.now()): boolean {
    const s = this.live.get(serverId);
    if (!s) return false;
    this.beats += 1;
    s.lastBeatMs = now;
    s.metrics = metrics;
    this.history.record(serverId, now, metrics);
    if (now - s.lastWrittenMs < persistEveryMs) return false;
    s.lastWrittenMs = now;
    return true;
  }

  /** Closes the server's session now (revocation). */
  drop(serverId: string, code: number, reason: string): void {
    const s = this.live.get(serverId);
    if (!s) return;
    this.live.delete(serverId);
    s.channel.close(code, reason);
  }

  send(serverId: string, message: GatewayMessage): boolean {
    const s = this.live.get(serverId);
    if (!s) return false;
    s.channel.send(message);
    return true;
  }

  view(serverId: string): LiveView {
    const s = this.live.get(serverId);
    return s ? { connected: true, lastHeartbeatMs: s.lastBeatMs, metrics: s.metrics } : { connected: false, lastHeartbeatMs: null, metrics: null };
  }

  /** The server's metrics of the last hour, oldest first (kept in memory: a restart starts anew; at most one per 9 s). */
  samples(serverId: string, now = Date.now()): MetricsSample[] {
    return this.history.samples(serverId, now);
  }

  /** Forgets a removed server's history. */
  forget(serverId: string): void {
    this.history.forget(serverId);
  }

  get size(): number {
    return this.live.size;
  }

  /** Closes every session (the control plane stops; agents reconnect to the next one). */
  closeAll(code: number, reason: string): void {
    for (const [id, s] of this.live) {
      this.live.delete(id);
      s.channel.close(code, reason);
    }
  }
}
