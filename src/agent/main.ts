/**
 * `slipway agent`: joins once (with a join token), then keeps a session with the agent gateway,
 * heartbeating with its server's metrics and renewing its certificate, until stopped or revoked.
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import { DockerEngine } from '../targets/docker/engine.js';
import { join } from './join.js';
import { metricsSampler } from './metrics.js';
import { runSession, type AgentSession, type SessionEvents } from './session.js';
import { loadIdentity } from './state.js';

export interface AgentOptions {
  dataDir: string;
  /** A join token; needed only before the first join (ignored once joined). */
  joinToken?: string | undefined;
  /** `unix:///path` of the Docker engine (default /var/run/docker.sock). */
  dockerHost?: string | undefined;
  advertiseAddress?: string | undefined;
  events?: SessionEvents;
}

function socketPath(dockerHost: string | undefined): string {
  if (dockerHost === undefined) return '/var/run/docker.sock';
  const m = /^unix:\/\/(\/.+)$/.exec(dockerHost);
  if (!m) throw new SlipwayError('SLW_USAGE', `--docker-host '${dockerHost}' is not unix:///PATH (only a local engine socket is supported)`);
  return m[1]!;
}

export async function startAgent(options: AgentOptions): Promise<AgentSession & { serverName: string; joined: boolean }> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const docker = new DockerEngine({ socketPath: socketPath(options.dockerHost) });
  let identity = loadIdentity(dataDir);
  let joined = false;
  if (!identity) {
    if (!options.joinToken) throw new SlipwayError('SLW_USAGE', `this agent has not joined yet (nothing in ${dataDir}): give --join TOKEN (from slipway server add NAME)`);
    identity = await join(options.joinToken, dataDir);
    joined = true;
    options.events?.log?.('info', `joined as server '${identity.serverName}'; certificate valid until ${identity.notAfter}`);
  }
  const metrics = metricsSampler(dataDir, async () => (await docker.listContainers({ labels: {}, all: false })).length);
  const session = runSession({ dataDir, identity, advertiseAddress: options.advertiseAddress ?? null, metrics, ...(options.events ? { events: options.events } : {}) });
  return { ...session, serverName: identity.serverName, joined };
}
