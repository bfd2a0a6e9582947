/**
 * One agent's session, after the gateway has checked its certificate: the hello, heartbeats
 * (acknowledged; liveness kept in memory, the row written at most every 30 s, in batches with the
 * other servers' through {@link ServerRows}), certificate renewal. Transport-neutral: the
 * gateway hands in parsed messages and a channel back.
 *
 * @module
 */
import type { AgentMessage } from '../api/agent-protocol.js';
import { isSlipwayError } from '../core/errors.js';
import { nowIso } from '../platform/time.js';
import { renew } from './enroll.js';
import type { ServerRows } from './server-rows.js';
import type { FleetContext } from './servers.js';
import { closeCodes, type AgentChannel } from './sessions.js';

export interface SessionHandler {
  message(message: AgentMessage): Promise<void>;
  closed(): Promise<void>;
}

export async function openSession(ctx: FleetContext, server: { id: string; name: string }, channel: AgentChannel, rows: ServerRows): Promise<SessionHandler> {
  ctx.sessions.attach(server.id, channel, closeCodes.replaced);
  channel.send({ type: 'welcome', serverId: server.id, serverName: server.name, heartbeatSeconds: ctx.heartbeatSeconds, acme: ctx.acme ?? { directory: null, caRootPem: null, email: null } });
  ctx.state.connected(server.id);
  return {
    async message(m) {
      switch (m.type) {
        case 'hello':
          await rows.update(server.id, { agent_version: m.agentVersion, hostname: m.hostname, advertise_address: m.advertiseAddress, last_heartbeat_at: nowIso() });
          return;
        case 'heartbeat':
          channel.send({ type: 'ack', seq: m.seq });
          if (ctx.sessions.heartbeat(server.id, m.metrics)) await rows.update(server.id, { last_heartbeat_at: nowIso(), metrics: JSON.stringify(m.metrics) });
          return;
        case 'renew':
          try {
            const r = await renew(ctx, server.id, m.csr);
            channel.send({ type: 'renewed', id: m.id, certificate: r.certificate, notAfter: r.notAfter });
          } catch (error) {
            if (!isSlipwayError(error)) throw error;
            channel.send({ type: 'error', id: m.id, code: error.code, message: error.message });
          }
          return;
        case 'status':
          await ctx.state.report(server.id, m.workloads, m.jobs);
          return;
        case 'result':
          ctx.state.commandResult(server.id, m);
          return;
        case 'applied':
          ctx.state.markApplied(server.id, m.revision);
          return;
        case 'output':
          ctx.state.commandOutput(server.id, m.id, m.lines);
          return;
        case 'certificates':
          ctx.state.reportCertificates(server.id, m.certificates);
          return;
      }
    },
    async closed() {
      const view = ctx.sessions.view(server.id);
      if (!ctx.sessions.detach(server.id, channel)) return;
      await rows.update(server.id, { last_heartbeat_at: view.lastHeartbeatMs ? new Date(view.lastHeartbeatMs).toISOString() : nowIso(), ...(view.metrics ? { metrics: JSON.stringify(view.metrics) } : {}) });
    },
  };
}
