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

const replica = z.object({
  name: z.string().max(300),
  index: z.number().int(),
  state: z.enum(['pending', 'running', 'exited', 'failed', 'stopping']),
  ready: z.boolean(),
  address: z.string().max(300).nullable(),
  exitCode: z.number().int().nullable(),
  message: z.string().max(2000).nullable(),
});

const workloadStatus = z.object({ name: z.string().max(253), labels: z.record(z.string(), z.string()), replicas: z.number().int(), instances: z.array(replica) });
const jobStatus = z.object({
  name: z.string().max(253),
  labels: z.record(z.string(), z.string()),
  state: z.enum(['pending', 'running', 'succeeded', 'failed']),
  exitCode: z.number().int().nullable(),
  message: z.string().max(2000).nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
const outputLine = z.object({ source: z.string().max(253), stream: z.enum(['stdout', 'stderr']), line: z.string().max(65_536) });

/** One domain's certificate on a server's edge, as its agent sees it (see src/edge/certificates.ts). */
export const certificateStateSchema = z.object({
  domain: z.string().max(253),
  state: z.enum(['valid', 'expired', 'pending', 'failed']),
  source: z.enum(['acme', 'internal']),
  issuer: z.string().max(500).nullable(),
  notAfter: z.string().max(64).nullable(),
  error: z.string().max(2000).nullable(),
});
export type CertificateStateMessage = z.output<typeof certificateStateSchema>;

/** Agent → gateway. */
export const agentMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), agentVersion: z.string().max(64), hostname: z.string().max(253), advertiseAddress: z.string().max(64).nullable() }),
  z.strictObject({ type: z.literal('heartbeat'), seq: z.number().int().min(0), metrics: serverMetricsSchema }),
  z.strictObject({ type: z.literal('renew'), id: z.string().max(64), csr: z.string().max(8192) }),
  /** Everything Slipway runs on the server now (sent when it changes). */
  z.strictObject({ type: z.literal('status'), workloads: z.array(workloadStatus).max(10_000), jobs: z.array(jobStatus).max(10_000) }),
  /** The end of a command: its value, or an error with a code. */
  z.strictObject({ type: z.literal('result'), id: z.string().max(64), ok: z.boolean(), value: z.unknown().optional(), code: z.string().max(64).optional(), message: z.string().max(4000).optional() }),
  /** The agent converged to desired state `revision` (its edge routes are live). */
  z.strictObject({ type: z.literal('applied'), revision: z.number().int().min(0) }),
  /** Lines of a streaming command (follow). */
  z.strictObject({ type: z.literal('output'), id: z.string().max(64), lines: z.array(outputLine).max(1000) }),
  /** The certificates of the server's edge, one per routed domain (sent when they change). */
  z.strictObject({ type: z.literal('certificates'), certificates: z.array(certificateStateSchema).max(10_000) }),
]);
export type AgentMessage = z.output<typeof agentMessage>;

/** One entry of a server's desired state: present (its spec) or being removed (kept until the agent reports it gone). */
export type DesiredEntry<T> = { name: string; removed: false; spec: T } | { name: string; removed: true; graceSeconds: number };

/** A route of the server's edge: its domains to upstream addresses on the server. */
export interface DesiredRoute {
  id: string;
  hosts: string[];
  upstreams: string[];
}

/** Imperative commands: each carries an id; an agent runs an id once and answers a repeat with the first result. */
export type AgentCommand =
  | { kind: 'logs'; name: string; lines: number }
  | { kind: 'follow'; name: string; tail: number }
  | { kind: 'cancel'; of: string }
  | { kind: 'removeVolume'; name: string }
  | { kind: 'removeNetwork'; name: string }
  /** Read the volume (VolumeAccess of the deploy port) and upload its tar to the gateway's `PUT /v1/transfers/{transfer}`. */
  | { kind: 'exportVolume'; transfer: string; access: VolumeAccessWire }
  /** Download the tar from the gateway's `GET /v1/transfers/{transfer}` and unpack it into the volume. */
  | { kind: 'importVolume'; transfer: string; access: VolumeAccessWire };

/** How the agent reaches a volume: a created-never-started container of `image` with `volume` at `path` (src/deploy/target.ts VolumeAccess). */
export interface VolumeAccessWire {
  name: string;
  volume: string;
  path: string;
  image: string;
  registryAuth: { registry: string; username: string; password: string } | null;
  labels?: Record<string, string>;
}

/**
 * How servers' edges get certificates for names that are not private: the instance's settings
 * (`slipway server --acme-directory/--acme-ca-root/--acme-email`). All null: Caddy's defaults.
 */
export interface EdgeAcme {
  /** The ACME directory URL. */
  directory: string | null;
  /** PEM of the CA roots trusted when talking to the directory. */
  caRootPem: string | null;
  /** The ACME account's contact address. */
  email: string | null;
}

/** Gateway → agent. */
export type GatewayMessage =
  /** `acme` is absent from control planes older than the edge with HTTPS (read as all null). */
  | { type: 'welcome'; serverId: string; serverName: string; heartbeatSeconds: number; acme?: EdgeAcme }
  | { type: 'ack'; seq: number }
  | { type: 'renewed'; id: string; certificate: string; notAfter: string }
  | { type: 'error'; id?: string; code: string; message: string }
  /** The whole desired state of the server (level-triggered: a lost message changes nothing the next one does not fix). Holds secret values: never logged. */
  | { type: 'desired'; revision: number; workloads: Array<DesiredEntry<unknown>>; jobs: Array<DesiredEntry<unknown>>; routes: DesiredRoute[] }
  | { type: 'command'; id: string; command: AgentCommand }
  /** Make a new key and renew now (slipway server rotate). */
  | { type: 'rotate' };
