/**
 * A server joined by an agent as a target of the deploy engine: `apply`, `remove`, `runJob` and
 * the edge's routes change the server's desired state (src/fleet/desired.ts), which its agent
 * converges on its own Docker engine and its own edge; `observe` and `list` read what the agent
 * last reported. Readiness is judged by the agent, on its server.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import type { Edge, JobSpec, JobStatus, OutputLine, Placement, Placements, Target, VolumeAccess, WorkloadSpec, WorkloadStatus } from '../deploy/target.js';
import type { Db } from '../store/schema.js';
import type { FleetState } from './desired.js';
import { SpreadTarget, spreadEdge } from './spread.js';

export class AgentTarget implements Target {
  readonly rollsOutItself = false;

  constructor(
    readonly name: string,
    private readonly serverId: string,
    private readonly state: FleetState,
    /** A revoked server's workloads are shown as last reported, none of them ready: nothing vouches for them any more. */
    private readonly revoked = false,
  ) {}

  private mark(w: WorkloadStatus): WorkloadStatus {
    if (!this.revoked) return w;
    const message = `server '${this.name}' was revoked: move the environment to another server (slipway env set --target NAME)`;
    return { ...w, instances: w.instances.map((i) => ({ ...i, ready: false, message })) };
  }

  apply(spec: WorkloadSpec): Promise<void> {
    if (this.revoked) return Promise.reject(new SlipwayError('SLW_SERVER_REVOKED', `server '${this.name}' was revoked: place the environment on another server (slipway env set --target NAME)`));
    return this.state.putWorkload(this.serverId, spec);
  }
  async observe(name: string): Promise<WorkloadStatus | null> {
    const w = await this.state.observe(this.serverId, name);
    return w && this.mark(w);
  }
  async list(labels: Record<string, string>): Promise<WorkloadStatus[]> {
    return (await this.state.list(this.serverId, labels)).map((w) => this.mark(w));
  }
  remove(name: string, graceSeconds: number): Promise<void> {
    return this.state.remove(this.serverId, 'workload', name, graceSeconds);
  }
  async logs(name: string, lines: number): Promise<OutputLine[]> {
    return (await this.state.command(this.serverId, { kind: 'logs', name, lines }).result) as OutputLine[];
  }
  follow(name: string, signal: AbortSignal, tail: number): AsyncIterable<OutputLine> {
    return this.state.follow(this.serverId, name, tail, signal);
  }
  runJob(spec: JobSpec): Promise<void> {
    return this.state.putJob(this.serverId, spec);
  }
  job(name: string): Promise<JobStatus | null> {
    return this.state.job(this.serverId, name);
  }
  removeJob(name: string): Promise<void> {
    return this.state.remove(this.serverId, 'job', name, 10);
  }
  async removeVolume(name: string): Promise<void> {
    await this.state.command(this.serverId, { kind: 'removeVolume', name }).result;
  }
  async removeNetwork(name: string): Promise<void> {
    await this.state.command(this.serverId, { kind: 'removeNetwork', name }).result;
  }

  /** The volume's tar, read by the server's agent and streamed through the gateway (src/fleet/transfers.ts). */
  async *exportVolume(access: VolumeAccess): AsyncIterable<Uint8Array> {
    this.usable();
    const t = this.state.transfers.expectUpload(this.serverId);
    const { result } = this.state.command(this.serverId, { kind: 'exportVolume', transfer: t.id, access }, transferMs);
    // The agent's answer: a failure before or during the upload ends the stream with its error.
    result.catch((error: unknown) => t.fail(error instanceof Error ? error : new Error(String(error))));
    try {
      for await (const chunk of t.body) yield chunk as Uint8Array;
      await Promise.race([result, t.failed]);
    } finally {
      t.close();
    }
  }

  /** Unpacks `tar` into the volume on the server: its agent downloads it through the gateway. */
  async importVolume(access: VolumeAccess, tar: AsyncIterable<Uint8Array>): Promise<void> {
    this.usable();
    const t = this.state.transfers.offerDownload(this.serverId, tar);
    try {
      await Promise.race([this.state.command(this.serverId, { kind: 'importVolume', transfer: t.id, access }, transferMs).result, t.failed]);
    } finally {
      t.close();
    }
  }

  private usable(): void {
    if (this.revoked) throw new SlipwayError('SLW_SERVER_REVOKED', `server '${this.name}' was revoked: its volumes are no longer reached (move the environment: slipway env set --target NAME)`);
  }
}

/** The longest a volume transfer with an agent may take. */
const transferMs = 6 * 3_600_000;

/** How long a route change may take to reach a server's edge before the engine's step fails (and is retried). */
const routeApplyMs = 15_000;

/**
 * The server's own edge (its agent's Caddy): routes are part of its desired state, and a change
 * resolves only once the agent has applied it, so the engine never drains old replicas while the
 * server's edge still routes to them.
 */
export function agentEdge(serverId: string, state: FleetState): Edge {
  return {
    setRoute: async (id, hosts, upstreams) => {
      const revision = upstreams.length > 0 ? await state.setRoute(serverId, { id, hosts, upstreams }) : await state.removeRoute(serverId, id);
      await state.waitApplied(serverId, revision, routeApplyMs);
    },
    removeRoute: async (id) => {
      const revision = await state.removeRoute(serverId, id);
      await state.waitApplied(serverId, revision, routeApplyMs);
    },
  };
}

/**
 * The instance's placements: the control plane's own (`local`, when it has one) and every joined
 * server by name. Servers are looked up in a snapshot refreshed by {@link FleetPlacements.refresh}
 * (at start and whenever a server joins, is revoked or removed).
 */
export class FleetPlacements implements Placements {
  private servers = new Map<string, { id: string; state: string; labels: Record<string, string>; workspaceId: string | null }>();

  constructor(
    private readonly local: Placements,
    private readonly db: Db,
    private readonly state: FleetState,
  ) {}

  private loading: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  /**
   * Reloads the snapshot. A call while a load runs (which may have read before the caller's
   * change) gets one more load after it, shared by every call meanwhile: a thousand agents joining
   * at once reload a few times, not a thousand times the whole table.
   */
  refresh(): Promise<void> {
    if (!this.loading) {
      this.loading = this.load().finally(() => (this.loading = null));
      return this.loading;
    }
    this.queued ??= this.loading
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.refresh();
      });
    return this.queued;
  }

  private async load(): Promise<void> {
    const rows = await this.db.selectFrom('servers').select(['id', 'name', 'state', 'labels', 'workspace_id']).execute();
    this.servers = new Map(rows.map((r) => [r.name, { id: r.id, state: r.state, labels: JSON.parse(r.labels) as Record<string, string>, workspaceId: r.workspace_id }]));
  }

  names(): string[] {
    return [...new Set([...this.local.names(), ...[...this.servers].filter(([, s]) => s.state === 'active').map(([n]) => n)])].sort();
  }

  /** `a,b`: those servers; `label:k=v`: every joined server of the instance (none dedicated to a workspace) with that label; else the name itself. */
  members(name: string): string[] {
    if (name.includes(',')) return name.split(',');
    if (name.startsWith('label:')) {
      const [key, value] = name.slice('label:'.length).split('=') as [string, string];
      return [...this.servers].filter(([, s]) => s.state === 'active' && s.workspaceId === null && s.labels[key] === value).map(([n]) => n).sort();
    }
    return [name];
  }

  /** True when an environment of `workspaceId` may be placed there: no server of it is dedicated to another workspace. */
  allows(name: string, workspaceId: string): boolean {
    return this.members(name).every((n) => {
      const s = this.servers.get(n);
      return !s || s.workspaceId === null || s.workspaceId === workspaceId;
    });
  }

  resolve(name: string): Placement {
    if (name.includes(',') || name.startsWith('label:')) {
      const names = this.members(name);
      if (names.length === 0) throw new SlipwayError('SLW_TARGET_UNKNOWN', `no joined server has the label ${name.slice('label:'.length)} (slipway server list)`);
      if (new Set(names).size !== names.length) throw new SlipwayError('SLW_VALIDATION', `'${name}' names a server twice`);
      const members = names.map((n) => {
        if (!this.servers.has(n)) throw new SlipwayError('SLW_TARGET_UNKNOWN', `there is no server '${n}' (slipway server list); several targets are servers only`);
        return { name: n, placement: this.resolve(n) };
      });
      return { target: new SpreadTarget(name, members), edge: spreadEdge(members) };
    }
    const server = this.servers.get(name);
    if (!server) return this.local.resolve(name);
    // A revoked server keeps its placement: the engine can still take what ran there away (its agent never hears it).
    if (server.state === 'pending') throw new SlipwayError('SLW_TARGET_UNKNOWN', `server '${name}' has not joined yet: run the join command of 'slipway server add ${name}' on it first`);
    return { target: new AgentTarget(name, server.id, this.state, server.state === 'revoked'), edge: agentEdge(server.id, this.state) };
  }
}
