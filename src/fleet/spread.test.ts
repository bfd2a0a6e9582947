/**
 * A spread placement over in-memory targets: replica i of N runs on member (i-1) mod k, growing
 * and shrinking N keeps the engine's replica numbering, addresses name their server, and each
 * member's edge gets only the upstreams on it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Edge, WorkloadSpec } from '../deploy/target.js';
import { MemoryTarget } from '../targets/memory/memory-target.js';
import { shareOf, spreadEdge, SpreadTarget, type Member } from './spread.js';

class RecordingEdge implements Edge {
  routes = new Map<string, string[]>();
  async setRoute(id: string, _hosts: string[], upstreams: string[]) {
    this.routes.set(id, upstreams);
  }
  async removeRoute(id: string) {
    this.routes.delete(id);
  }
}

const spec = (replicas: number): WorkloadSpec => ({ name: 'slw-w-r1', image: 'memory/serve', registryAuth: null, env: {}, command: null, resources: { cpuMillis: null, memoryBytes: null }, volumes: [], networks: [], labels: { 'io.slipway.environment-id': 'env_1' }, replicas, port: 8080, health: { type: 'tcp' } });

const targets: MemoryTarget[] = [];
afterEach(async () => {
  for (const t of targets.splice(0)) await t.close();
});

function members(k: number): Array<Member & { target: MemoryTarget; edge: RecordingEdge }> {
  return Array.from({ length: k }, (_, s) => {
    const target = new MemoryTarget({ name: `h${s + 1}`, startDelayMs: 1 });
    targets.push(target);
    const edge = new RecordingEdge();
    return { name: `h${s + 1}`, placement: { target, edge }, target, edge };
  });
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i += 1) await new Promise((r) => setTimeout(r, 10));
}

describe('spread placement', () => {
  it('shares replicas round-robin', () => {
    expect([0, 1, 2].map((s) => shareOf(5, s, 3))).toEqual([2, 2, 1]);
    expect([0, 1].map((s) => shareOf(1, s, 2))).toEqual([1, 0]);
    expect([0, 1].map((s) => shareOf(0, s, 2))).toEqual([0, 0]);
  });

  it('runs replica i on member (i-1) mod k and numbers them as the engine expects', async () => {
    const m = members(2);
    const t = new SpreadTarget('h1,h2', m);
    await t.apply(spec(3));
    await until(async () => ((await t.observe('slw-w-r1'))?.instances.filter((i) => i.state === 'running').length ?? 0) === 3);
    const w = (await t.observe('slw-w-r1'))!;
    expect(w.replicas).toBe(3);
    expect(w.instances.map((i) => [i.index, i.address?.split('/')[0]])).toEqual([
      [1, 'h1'],
      [2, 'h2'],
      [3, 'h1'],
    ]);
    expect((await m[0]!.target.observe('slw-w-r1'))?.instances).toHaveLength(2);
    expect((await m[1]!.target.observe('slw-w-r1'))?.instances).toHaveLength(1);
    // Shrinking to 1 keeps replica 1 (on h1) and takes h2's away.
    await t.apply(spec(1));
    await until(async () => (await m[1]!.target.observe('slw-w-r1')) === null);
    expect(await m[1]!.target.observe('slw-w-r1')).toBeNull();
    expect((await t.list({ 'io.slipway.environment-id': 'env_1' })).map((x) => x.replicas)).toEqual([1]);
    await t.remove('slw-w-r1', 1);
    await until(async () => (await t.observe('slw-w-r1')) === null);
    expect(await t.observe('slw-w-r1')).toBeNull();
  });

  it("gives each member's edge the upstreams on it, and removes the route where none is", async () => {
    const m = members(2);
    const edge = spreadEdge(m);
    await edge.setRoute('r', ['a.example'], ['h1/127.0.0.1:1001', 'h2/127.0.0.1:1002', 'h1/127.0.0.1:1003']);
    expect(m[0]!.edge.routes.get('r')).toEqual(['127.0.0.1:1001', '127.0.0.1:1003']);
    expect(m[1]!.edge.routes.get('r')).toEqual(['127.0.0.1:1002']);
    await edge.setRoute('r', ['a.example'], ['h1/127.0.0.1:1001']);
    expect(m[1]!.edge.routes.has('r')).toBe(false);
    await edge.removeRoute('r');
    expect(m[0]!.edge.routes.has('r')).toBe(false);
  });
});
