/**
 * What each server should run (workloads, jobs, edge routes) and what its agent last reported.
 *
 * Desired state lives in the store (`server_desired`; workload and job specs sealed with the
 * master key, since they carry secret values) and goes to the agent whole, at every change and at
 * every connect: level-triggered, so a lost or repeated message changes nothing the next one does
 * not fix. Removals are tombstones the agent acts on; a tombstone goes once the agent's status no
 * longer lists the workload. Observed state is kept in memory from the agent's status reports,
 * and stays as last reported while the agent is away.
 *
 * @module
 */
import { VolumeTransfers } from './transfers.js';
import type { AgentCommand, CertificateStateMessage, DesiredEntry, DesiredRoute, GatewayMessage } from '../api/agent-protocol.js';
import { SlipwayError, type ErrorCode } from '../core/errors.js';
import type { JobSpec, JobStatus, OutputLine, WorkloadSpec, WorkloadStatus } from '../deploy/target.js';
import { nowIso } from '../platform/time.js';
import type { Keyring } from '../secrets/secrets.js';
import type { SealedKind } from '../secrets/sealed.js';
import type { Db } from '../store/schema.js';
import type { AgentSessions } from './sessions.js';

type Kind = 'workload' | 'job' | 'route';

interface SpecBody {
  labels: Record<string, string>;
  replicas: number;
  envelope: string;
}

interface Observed {
  workloads: Map<string, WorkloadStatus>;
  jobs: Map<string, JobStatus>;
}

interface Pending {
  serverId: string;
  command: AgentCommand;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  onOutput?: (lines: OutputLine[]) => void;
}

const sealId = (serverId: string, kind: Kind, name: string) => ({ workspaceId: 'instance', projectId: 'server', scope: serverId, name: `${kind}:${name}`, version: 1 });

/** Every workload and job spec in the servers' desired state (tombstones and routes carry none), for a master-key rotation. */
export const sealedDesiredSpecs: SealedKind = {
  name: 'server desired specs',
  columns: ['server_desired.body'],
  async reseal(tx, reseal) {
    const rows = await tx.selectFrom('server_desired').select(['server_id', 'kind', 'name', 'body']).where('removed', '=', 0).where('kind', 'in', ['workload', 'job']).execute();
    for (const r of rows) {
      const body = JSON.parse(r.body) as SpecBody;
      const kind = r.kind as Kind;
      body.envelope = reseal(sealId(r.server_id, kind, r.name), body.envelope, `${kind} ${r.name} of server ${r.server_id}`);
      await tx.updateTable('server_desired').set({ body: JSON.stringify(body) }).where('server_id', '=', r.server_id).where('kind', '=', r.kind).where('name', '=', r.name).execute();
    }
    return rows.length;
  },
};

const matches = (labels: Record<string, string>, want: Record<string, string>) => Object.entries(want).every(([k, v]) => labels[k] === v);

let commandSeq = 0;

export class FleetState {
  private readonly observed = new Map<string, Observed>();
  private readonly scheduled = new Map<string, Promise<number>>();
  /** Per server: the revision its agent last applied, and who waits for a later one. */
  private readonly applied = new Map<string, { revision: number; waiters: Array<{ revision: number; resolve: () => void }> }>();
  private readonly certificates = new Map<string, CertificateStateMessage[]>();
  private readonly pending = new Map<string, Pending>();
  private revision = Date.now();
  /** Volume transfers with the servers' agents under way (through the gateway's /v1/transfers). */
  readonly transfers = new VolumeTransfers();

  constructor(
    private readonly db: Db,
    private readonly keyring: Keyring,
    private readonly sessions: AgentSessions,
  ) {}

  // ---- desired state -------------------------------------------------------------------------

  async putWorkload(serverId: string, spec: WorkloadSpec): Promise<void> {
    await this.put(serverId, 'workload', spec.name, 0, JSON.stringify({ labels: spec.labels, replicas: spec.replicas, envelope: this.keyring.seal(sealId(serverId, 'workload', spec.name), JSON.stringify(spec)) } satisfies SpecBody));
  }

  async putJob(serverId: string, spec: JobSpec): Promise<void> {
    const existing = await this.row(serverId, 'job', spec.name);
    // A job with this name already there is left as it is (the port's contract).
    if (existing && existing.removed === 0) return;
    await this.put(serverId, 'job', spec.name, 0, JSON.stringify({ labels: spec.labels, replicas: 1, envelope: this.keyring.seal(sealId(serverId, 'job', spec.name), JSON.stringify(spec)) } satisfies SpecBody));
  }

  /** Marks a workload or job for removal; a missing one is fine. */
  async remove(serverId: string, kind: 'workload' | 'job', name: string, graceSeconds: number): Promise<void> {
    const existing = await this.row(serverId, kind, name);
    const labels = existing && existing.removed === 0 ? (JSON.parse(existing.body) as SpecBody).labels : {};
    const seen = kind === 'workload' ? this.observed.get(serverId)?.workloads.get(name) : this.observed.get(serverId)?.jobs.get(name);
    if (!existing && !seen) return;
    await this.put(serverId, kind, name, 1, JSON.stringify({ labels, graceSeconds }));
  }

  /** Sets a route of the server's edge; resolves with the revision that carries it (see {@link waitApplied}). */
  async setRoute(serverId: string, route: DesiredRoute): Promise<number> {
    return this.put(serverId, 'route', route.id, 0, JSON.stringify(route));
  }

  async removeRoute(serverId: string, id: string): Promise<number> {
    await this.db.deleteFrom('server_desired').where('server_id', '=', serverId).where('kind', '=', 'route').where('name', '=', id).execute();
    return this.schedulePush(serverId);
  }

  private async row(serverId: string, kind: Kind, name: string) {
    return this.db.selectFrom('server_desired').selectAll().where('server_id', '=', serverId).where('kind', '=', kind).where('name', '=', name).executeTakeFirst();
  }

  private async put(serverId: string, kind: Kind, name: string, removed: number, body: string): Promise<number> {
    const at = nowIso();
    await this.db
      .insertInto('server_desired')
      .values({ server_id: serverId, kind, name, removed, body, updated_at: at })
      .onConflict((oc) => oc.columns(['server_id', 'kind', 'name']).doUpdateSet({ removed, body, updated_at: at }))
      .execute();
    return this.schedulePush(serverId);
  }

  /** The whole desired state of a server, as the agent gets it (holds secret values). */
  async message(serverId: string, revision?: number): Promise<Extract<GatewayMessage, { type: 'desired' }>> {
    const rows = await this.db.selectFrom('server_desired').selectAll().where('server_id', '=', serverId).execute();
    const entries = (kind: 'workload' | 'job'): Array<DesiredEntry<unknown>> =>
      rows
        .filter((r) => r.kind === kind)
        .map((r) => {
          if (r.removed === 1) return { name: r.name, removed: true as const, graceSeconds: (JSON.parse(r.body) as { graceSeconds: number }).graceSeconds };
          const body = JSON.parse(r.body) as SpecBody;
          return { name: r.name, removed: false as const, spec: JSON.parse(this.keyring.open(sealId(serverId, kind, r.name), body.envelope)) as unknown };
        });
    if (revision === undefined) this.revision += 1;
    return { type: 'desired', revision: revision ?? this.revision, workloads: entries('workload'), jobs: entries('job'), routes: rows.filter((r) => r.kind === 'route').map((r) => JSON.parse(r.body) as DesiredRoute) };
  }

  /** Sends the desired state soon (changes made in one turn go out as one message); resolves with the revision that carries them. */
  schedulePush(serverId: string): Promise<number> {
    const already = this.scheduled.get(serverId);
    if (already) return already;
    const push = new Promise<number>((resolve) => {
      setImmediate(() => {
        this.scheduled.delete(serverId);
        this.revision += 1;
        const revision = this.revision;
        resolve(revision);
        if (!this.sessions.view(serverId).connected) return;
        void this.message(serverId, revision)
          .then((m) => this.sessions.send(serverId, m))
          .catch(() => undefined);
      });
    });
    this.scheduled.set(serverId, push);
    return push;
  }

  /** The agent converged to `revision`: whoever waits for it or an earlier one goes on. */
  markApplied(serverId: string, revision: number): void {
    const a = this.applied.get(serverId) ?? { revision: 0, waiters: [] };
    a.revision = Math.max(a.revision, revision);
    const ready = a.waiters.filter((w) => w.revision <= a.revision);
    a.waiters = a.waiters.filter((w) => w.revision > a.revision);
    this.applied.set(serverId, a);
    for (const w of ready) w.resolve();
  }

  /** Resolves once the server's agent applied `revision` (or a later one); rejects after `timeoutMs`. */
  waitApplied(serverId: string, revision: number, timeoutMs: number): Promise<void> {
    const a = this.applied.get(serverId) ?? { revision: 0, waiters: [] };
    this.applied.set(serverId, a);
    if (a.revision >= revision) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        a.waiters = a.waiters.filter((w) => w !== waiter);
        reject(new SlipwayError('SLW_SERVER_UNREACHABLE', `the server's agent did not apply the change within ${Math.round(timeoutMs / 1000)} s (is it connected? slipway server list)`));
      }, timeoutMs);
      const waiter = {
        revision,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      a.waiters.push(waiter);
    });
  }

  /** An agent connected: it gets its desired state and every command still unanswered. */
  connected(serverId: string): void {
    void this.schedulePush(serverId);
    for (const [id, p] of this.pending) if (p.serverId === serverId) this.sessions.send(serverId, { type: 'command', id, command: p.command });
  }

  // ---- observed state ------------------------------------------------------------------------

  /** A status report: what runs now; tombstones of what is gone are dropped. */
  async report(serverId: string, workloads: WorkloadStatus[], jobs: JobStatus[]): Promise<void> {
    this.observed.set(serverId, { workloads: new Map(workloads.map((w) => [w.name, w])), jobs: new Map(jobs.map((j) => [j.name, j])) });
    const tombstones = await this.db.selectFrom('server_desired').select(['kind', 'name']).where('server_id', '=', serverId).where('removed', '=', 1).execute();
    const gone = tombstones.filter((t) => !(t.kind === 'workload' ? workloads.some((w) => w.name === t.name) : jobs.some((j) => j.name === t.name)));
    for (const t of gone) await this.db.deleteFrom('server_desired').where('server_id', '=', serverId).where('kind', '=', t.kind).where('name', '=', t.name).where('removed', '=', 1).execute();
  }

  /** The certificates of a server's edge, as its agent reported them (kept as last reported while it is away). */
  reportCertificates(serverId: string, certificates: CertificateStateMessage[]): void {
    this.certificates.set(serverId, certificates);
  }

  /** The certificate of each of `domains` on a server's edge, as last reported (none yet: not listed). */
  certificatesOf(serverId: string, domains: string[]): CertificateStateMessage[] {
    const wanted = new Set(domains.map((d) => d.toLowerCase()));
    return (this.certificates.get(serverId) ?? []).filter((c) => wanted.has(c.domain.toLowerCase()));
  }

  async observe(serverId: string, name: string): Promise<WorkloadStatus | null> {
    const seen = this.observed.get(serverId)?.workloads.get(name);
    if (seen) return seen;
    const row = await this.row(serverId, 'workload', name);
    if (!row || row.removed === 1) return null;
    const body = JSON.parse(row.body) as SpecBody;
    // Desired, not reported yet: nothing runs so far.
    return { name, labels: body.labels, replicas: body.replicas, instances: [] };
  }

  async list(serverId: string, labels: Record<string, string>): Promise<WorkloadStatus[]> {
    const out = new Map<string, WorkloadStatus>();
    for (const w of this.observed.get(serverId)?.workloads.values() ?? []) if (matches(w.labels, labels)) out.set(w.name, w);
    const rows = await this.db.selectFrom('server_desired').select(['name', 'body']).where('server_id', '=', serverId).where('kind', '=', 'workload').where('removed', '=', 0).execute();
    for (const r of rows) {
      const body = JSON.parse(r.body) as SpecBody;
      if (!out.has(r.name) && matches(body.labels, labels)) out.set(r.name, { name: r.name, labels: body.labels, replicas: body.replicas, instances: [] });
    }
    return [...out.values()];
  }

  async job(serverId: string, name: string): Promise<JobStatus | null> {
    const seen = this.observed.get(serverId)?.jobs.get(name);
    if (seen) return seen;
    const row = await this.row(serverId, 'job', name);
    if (!row || row.removed === 1) return null;
    const body = JSON.parse(row.body) as SpecBody;
    return { name, labels: body.labels, state: 'pending', exitCode: null, message: null, startedAt: null, finishedAt: null };
  }

  // ---- commands ------------------------------------------------------------------------------

  /** Runs a command on the server's agent; sent again on reconnect until answered or `timeoutMs` passes. */
  command(serverId: string, command: AgentCommand, timeoutMs = 30_000, onOutput?: (lines: OutputLine[]) => void): { id: string; result: Promise<unknown> } {
    const id = `cmd-${process.pid}-${Date.now().toString(36)}-${(commandSeq += 1)}`;
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SlipwayError('SLW_SERVER_UNREACHABLE', `the agent did not answer in ${Math.round(timeoutMs / 1000)} s (is the server connected? slipway server list)`));
      }, timeoutMs);
      this.pending.set(id, { serverId, command, resolve, reject, timer, ...(onOutput ? { onOutput } : {}) });
    });
    this.sessions.send(serverId, { type: 'command', id, command });
    return { id, result };
  }

  commandResult(serverId: string, m: { id: string; ok: boolean; value?: unknown; code?: string | undefined; message?: string | undefined }): void {
    const p = this.pending.get(m.id);
    if (!p || p.serverId !== serverId) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.value);
    else p.reject(new SlipwayError((m.code ?? 'SLW_INTERNAL') as ErrorCode, m.message ?? 'the agent could not run the command'));
  }

  commandOutput(serverId: string, id: string, lines: OutputLine[]): void {
    const p = this.pending.get(id);
    if (p?.serverId === serverId) p.onOutput?.(lines);
  }

  /** Follows a workload's output on its server until `signal` aborts. */
  async *follow(serverId: string, name: string, tail: number, signal: AbortSignal): AsyncIterable<OutputLine> {
    const queue: OutputLine[] = [];
    let wake: (() => void) | null = null;
    const { id, result } = this.command(serverId, { kind: 'follow', name, tail }, 24 * 3_600_000, (lines) => {
      queue.push(...lines);
      wake?.();
    });
    let ended = false;
    result.then(
      () => (ended = true),
      () => (ended = true),
    ).finally(() => wake?.());
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      while (!signal.aborted) {
        while (queue.length > 0) yield queue.shift()!;
        if (ended) return;
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.commandResult(serverId, { id, ok: true });
      this.sessions.send(serverId, { type: 'command', id: `${id}-cancel`, command: { kind: 'cancel', of: id } });
    }
  }
}
