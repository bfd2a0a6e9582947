/**
 * The agent protocol: what an agent and the agent gateway say to each other. Enrolment is one
 * HTTPS request (the join token and a CSR for a certificate); everything after it goes over one
 * WebSocket per agent over mTLS, as JSON messages of the shapes below.
 */
import { z } from 'zod';
import { serverMetricsSchema } from './servers.js';

export const enrollBody = z.strictObject({
  token: z.string().min(1).max(4096),
  csr: z.string().min(1).max(8192),
  hostname: z.string().max(253),
  agentVersion: z.string().max(64),
});
export type EnrollBody = z.output<typeof enrollBody>;

export const enrollResponse = z.object({
  serverId: z.string(),
  serverName: z.string(),
  certificate: z.string(),
  notAfter: z.string(),
});
export type EnrollResponse = z.output<typeof enrollResponse>;

/** Agent → gateway. */
export const agentMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), agentVersion: z.string().max(64), hostname: z.string().max(253), advertiseAddress: z.string().max(64).nullable() }),
  z.strictObject({ type: z.literal('heartbeat'), seq: z.number().int().min(0), metrics: serverMetricsSchema }),
  z.strictObject({ type: z.literal('renew'), id: z.string().max(64), csr: z.string().max(8192) }),
]);
export type AgentMessage = z.output<typeof agentMessage>;

/** Gateway → agent. */
export type GatewayMessage =
  | { type: 'welcome'; serverId: string; serverName: string; heartbeatSeconds: number }
  | { type: 'ack'; seq: number }
  | { type: 'renewed'; id: string; certificate: string; notAfter: string }
  | { type: 'error'; id?: string; code: string; message: string };
