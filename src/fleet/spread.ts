/**
 * An environment placed on several servers (`env set --servers a,b` or `--server-label k=v`):
 * one target over many. Replica i (1-based, of N) runs on server (i-1) mod k as that server's
 * replica ⌊(i-1)/k⌋+1, so growing or shrinking N adds or removes the same replicas the engine
 * expects. Addresses are reported as `SERVER/ADDRESS`; the spread edge gives each server's edge
 * the upstreams on that server only, so each server's edge serves the domain with its own
 * replicas.
 *
 * @module
 */
import type { Edge, JobSpec, JobStatus, OutputLine, Placement, ReplicaStatus, Target, WorkloadSpec, WorkloadStatus } from '../deploy/target.js';

export interface Member {
  name: string;
  placement: Placement;
}

/** How many of `replicas` land on member `s` of `k`. */
export const shareOf = (replicas: number, s: number, k: number) => Math.max(0, Math.floor((replicas - 1 - s) / k) + 1);

export class SpreadTarget implements Target {
  readonly rollsOutItself = false;

  constructor(
    readonly name: string,
    private readonly members: Member[],
  ) {}

  private get k(): number {
    return this.members.length;
  }

  async apply(spec: WorkloadSpec): Promise<void> {
    await Promise.all(
      this.members.map(async (m, s) => {
        const share = shareOf(spec.replicas, s, this.k);
        if (share > 0) await m.placement.target.apply({ ...spec, replicas: share });
        else await m.placement.target.remove(spec.name, 10);
      }),
    );
  }

  private merge(name: string, parts: Array<WorkloadStatus | null>): WorkloadStatus | null {
    const present = parts.filter((p): p is WorkloadStatus => p !== null);
    if (present.length === 0) return null;
    const instances: ReplicaStatus[] = [];
    parts.forEach((p, s) => {
      for (const i of p?.instances ?? []) instances.push({ ...i, index: (i.index - 1) * this.k + s + 1, address: i.address === null ? null : `${this.members[s]!.name}/${i.address}` });
    });
    instances.sort((a, b) => a.index - b.index);
    return { name, labels: present[0]!.labels, replicas: present.reduce((n, p) => n + p.replicas, 0), instances };
  }

  async observe(name: string): Promise<WorkloadStatus | null> {
    return this.merge(name, await Promise.all(this.members.map((m) => m.placement.target.observe(name).catch(() => null))));
  }

  async list(labels: Record<string, string>): Promise<WorkloadStatus[]> {
    const lists = await Promise.all(this.members.map((m) => m.placement.target.list(labels).catch(() => [] as WorkloadStatus[])));
    const names = new Set(lists.flat().map((w) => w.name));
    return [...names].map((n) => this.merge(n, lists.map((l) => l.find((w) => w.name === n) ?? null))!).filter(Boolean);
  }

  async remove(name: string, graceSeconds: number): Promise<void> {
    await Promise.all(this.members.map((m) => m.placement.target.remove(name, graceSeconds)));
  }

  async logs(name: string, lines: number): Promise<OutputLine[]> {
    const all = await Promise.all(this.members.map(async (m) => (await m.placement.target.logs(name, lines).catch(() => [])).map((l) => ({ ...l, source: `${m.name}/${l.source}` }))));
    return all.flat();
  }

  async *follow(name: string, signal: AbortSignal, tail: number): AsyncIterable<OutputLine> {
    // One server after the other would starve the rest: interleave through a shared queue.
    const queue: OutputLine[] = [];
    const box: { wake: (() => void) | null } = { wake: null };
    let open = this.members.length;
    for (const m of this.members) {
      void (async () => {
        try {
          for await (const l of m.placement.target.follow(name, signal, tail)) {
            queue.push({ ...l, source: `${m.name}/${l.source}` });
            box.wake?.();
          }
        } catch {
          // a server that cannot follow ends its part
        } finally {
          open -= 1;
          box.wake?.();
        }
      })();
    }
    while (!signal.aborted) {
      while (queue.length > 0) yield queue.shift()!;
      if (open === 0) return;
      await new Promise<void>((r) => (box.wake = r));
      box.wake = null;
    }
  }

  // Jobs run once, on the first server.
  runJob(spec: JobSpec): Promise<void> {
    return this.members[0]!.placement.target.runJob(spec);
  }
  job(name: string): Promise<JobStatus | null> {
    return this.members[0]!.placement.target.job(name);
  }
  removeJob(name: string): Promise<void> {
    return this.members[0]!.placement.target.removeJob(name);
  }

  async removeVolume(name: string): Promise<void> {
    await Promise.all(this.members.map((m) => m.placement.target.removeVolume(name)));
  }
}

/** Each server's edge gets the route with the upstreams on that server (none: the route goes there). */
export function spreadEdge(members: Member[]): Edge {
  return {
    async setRoute(id, hosts, upstreams) {
      await Promise.all(
        members.map((m) => {
          const mine = upstreams.filter((u) => u.startsWith(`${m.name}/`)).map((u) => u.slice(m.name.length + 1));
          return mine.length > 0 ? m.placement.edge.setRoute(id, hosts, mine) : m.placement.edge.removeRoute(id);
        }),
      );
    },
    async removeRoute(id) {
      await Promise.all(members.map((m) => m.placement.edge.removeRoute(id)));
    },
  };
}
