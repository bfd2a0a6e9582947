/**
 * The agent's reconciler: makes its server's Docker engine and edge match the desired state the
 * control plane sent last, through the same target port the control plane uses locally
 * (DockerTarget), and reports what runs. Nothing is removed but what the desired state marks
 * removed: an agent that restarts while the control plane is away keeps everything running and
 * converges again once it hears from it.
 *
 * Image references are rewritten to the agent's registry proxy (src/agent/registry-proxy.ts).
 * Specs (with their secret values) are held in memory only.
 *
 * @module
 */
import type { DesiredEntry, GatewayMessage } from '../api/agent-protocol.js';
import type { JobSpec, JobStatus, RegistryAuth, Target, WorkloadSpec, WorkloadStatus } from '../deploy/target.js';

type Desired = Extract<GatewayMessage, { type: 'desired' }>;

/** The edge the agent configures (its own Caddy's admin API). */
export interface AgentEdge {
  setRoute(id: string, hosts: string[], upstreams: string[]): Promise<void>;
  removeRoute(id: string): Promise<void>;
  listRoutes(): Promise<Array<{ id: string }>>;
}

export interface Status {
  workloads: WorkloadStatus[];
  jobs: JobStatus[];
}

/** The spec (a workload's, a job's, a volume transfer's) as this server pulls it: from the agent's registry proxy. */
export function viaProxy<T extends { image: string; registryAuth: RegistryAuth | null }>(spec: T, proxyHost: string): T {
  const auth = spec.registryAuth;
  if (!auth || !spec.image.startsWith(`${auth.registry}/`)) return spec;
  return { ...spec, image: `${proxyHost}/${spec.image.slice(auth.registry.length + 1)}`, registryAuth: { ...auth, registry: proxyHost } };
}

const key = (spec: WorkloadSpec | JobSpec) => JSON.stringify({ ...spec, registryAuth: null });

export class Converger {
  private desired: Desired | null = null;
  private readonly applied = new Map<string, string>();
  private running: Promise<void> | null = null;
  private dirty = false;
  private lastReport = '';

  constructor(
    private readonly target: Target,
    private readonly edge: AgentEdge,
    private readonly proxyHost: string,
    private readonly report: (status: Status) => void,
    /** Told after each pass that reached the end: the revision now applied. */
    private readonly onApplied: (revision: number) => void,
    private readonly log: (level: 'info' | 'warn', message: string) => void,
  ) {}

  /** A new desired state: converge to it (one pass at a time; the latest wins). */
  set(desired: Desired): void {
    if (this.desired && desired.revision < this.desired.revision) return;
    this.desired = desired;
    this.kick();
  }

  kick(): void {
    this.dirty = true;
    if (!this.running) this.running = this.loop().finally(() => (this.running = null));
  }

  private async loop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      try {
        await this.pass();
      } catch (error) {
        this.log('warn', `converging failed: ${(error as Error).message}`);
      }
    }
  }

  private async pass(): Promise<void> {
    const d = this.desired;
    if (!d) return;
    for (const w of d.workloads as Array<DesiredEntry<WorkloadSpec>>) {
      if (w.removed) {
        if (this.applied.get(w.name) !== 'removed') await this.target.remove(w.name, w.graceSeconds);
        this.applied.set(w.name, 'removed');
        continue;
      }
      const spec = viaProxy(w.spec, this.proxyHost);
      if (this.applied.get(w.name) === key(spec)) continue;
      await this.target.apply(spec);
      this.applied.set(w.name, key(spec));
    }
    for (const j of d.jobs as Array<DesiredEntry<JobSpec>>) {
      if (j.removed) await this.target.removeJob(j.name);
      else if (this.applied.get(`job:${j.name}`) === undefined) {
        await this.target.runJob(viaProxy(j.spec, this.proxyHost));
        this.applied.set(`job:${j.name}`, 'started');
      }
    }
    const wanted = new Set(d.routes.map((r) => r.id));
    for (const r of d.routes) await this.edge.setRoute(r.id, r.hosts, r.upstreams);
    for (const r of await this.edge.listRoutes()) if (!wanted.has(r.id)) await this.edge.removeRoute(r.id);
    this.onApplied(d.revision);
  }

  /** What runs now; sent to the control plane when it changed (or `force`). */
  async status(force = false): Promise<void> {
    const d = this.desired;
    const workloads = await this.target.list({});
    const jobs: JobStatus[] = [];
    for (const j of d?.jobs ?? []) {
      const s = await this.target.job(j.name);
      if (s) jobs.push(s);
    }
    const text = JSON.stringify({ workloads, jobs });
    if (!force && text === this.lastReport) return;
    this.lastReport = text;
    this.report({ workloads, jobs });
  }
}
