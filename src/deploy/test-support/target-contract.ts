/**
 * The contract of the target port (../target.ts): one suite every target runs, each with a
 * fixture of images that behave as described. What passes here is what the engine relies on.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSpec, JobStatus, RegistryAuth, Target, WorkloadSpec, WorkloadStatus } from '../target.js';

/** An image (and command) with a known behaviour on the target under test. */
export interface Behaviour {
  image: string;
  command: string[] | null;
}

export interface ContractFixture {
  target: Target;
  registryAuth: RegistryAuth | null;
  /** Serves HTTP on `port`, answering GET / with 200 and `$GREETING` in the body. */
  serve: Behaviour;
  port: number;
  /** Runs, never answers on the port. */
  idle: Behaviour;
  /** Waits `$RUN_MS` ms (default 0), prints `$OUTPUT` (one line) and exits with `$EXIT_CODE`. */
  exit: Behaviour;
  /** An image the target cannot get. */
  missingImage: string;
  /** Whether the named volume exists on the target. */
  volumeExists(name: string): Promise<boolean>;
  /** Unique per run; every name in the suite starts with it. */
  prefix: string;
  /** Labels every object of the run carries. */
  labels: Record<string, string>;
  cleanup(): Promise<void>;
}

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function get(address: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${address}/`, { signal: AbortSignal.timeout(3000) });
  return { status: res.status, body: await res.text() };
}

/** Registers the contract suite for a target; `make` builds its fixture once. */
export function targetContract(title: string, make: () => Promise<ContractFixture>): void {
  describe(`target contract: ${title}`, () => {
    let f: ContractFixture;
    beforeAll(async () => {
      f = await make();
    }, 120_000);
    afterAll(async () => {
      await f?.cleanup();
    }, 120_000);

    const workload = (name: string, b: Behaviour, over: Partial<WorkloadSpec> = {}): WorkloadSpec => ({
      name: `${f.prefix}-${name}`,
      image: b.image,
      registryAuth: f.registryAuth,
      env: { GREETING: `hi from ${name}` },
      command: b.command,
      resources: { cpuMillis: null, memoryBytes: null },
      volumes: [],
      networks: [],
      labels: { ...f.labels, 'io.slipway.contract': name },
      replicas: 1,
      port: f.port,
      health: { type: 'http', path: '/' },
      ...over,
    });
    const job = (name: string, env: Record<string, string>, over: Partial<JobSpec> = {}): JobSpec => ({
      name: `${f.prefix}-${name}`,
      image: f.exit.image,
      registryAuth: f.registryAuth,
      env,
      command: f.exit.command,
      resources: { cpuMillis: null, memoryBytes: 64 * 1024 ** 2 },
      volumes: [],
      networks: [],
      labels: { ...f.labels, 'io.slipway.contract': name },
      timeoutSeconds: 60,
      ...over,
    });
    const ready = (name: string, n: number) =>
      until(`${n} ready replica(s) of ${name}`, async () => {
        const s = await f.target.observe(name);
        return s && s.instances.filter((i) => i.ready && i.address).length === n && s.instances.length === n ? s : undefined;
      });
    const gone = (name: string) => until(`${name} removed`, async () => (await f.target.observe(name)) === null);
    const ended = (name: string) =>
      until(`job ${name} ended`, async (): Promise<JobStatus | undefined> => {
        const s = await f.target.job(name);
        return s && (s.state === 'succeeded' || s.state === 'failed') ? s : undefined;
      });

    it('applies a workload: its replicas run, are ready, and answer on routable addresses with the env given', async () => {
      const spec = workload('web', f.serve, { replicas: 2 });
      await f.target.apply(spec);
      const s = await ready(spec.name, 2);
      expect(s.instances.map((i) => i.index)).toEqual([1, 2]);
      const addresses = s.instances.map((i) => i.address!);
      expect(new Set(addresses).size).toBe(2);
      for (const address of addresses) expect(await get(address)).toEqual({ status: 200, body: 'hi from web\n' });
      expect(s.labels['io.slipway.contract']).toBe('web');
    });

    it('is idempotent: applying the same spec again changes nothing', async () => {
      const spec = workload('web', f.serve, { replicas: 2 });
      const before = await ready(spec.name, 2);
      await f.target.apply(spec);
      await new Promise((r) => setTimeout(r, 500));
      const after = await ready(spec.name, 2);
      expect(after.instances.map((i) => [i.name, i.address])).toEqual(before.instances.map((i) => [i.name, i.address]));
    });

    it('scales: more replicas start beside the running ones, fewer remove the highest', async () => {
      const spec = workload('web', f.serve, { replicas: 2 });
      const two = await ready(spec.name, 2);
      await f.target.apply({ ...spec, replicas: 3 });
      const three = await ready(spec.name, 3);
      expect(three.instances.slice(0, 2).map((i) => i.address)).toEqual(two.instances.map((i) => i.address));
      await f.target.apply({ ...spec, replicas: 1 });
      const one = await ready(spec.name, 1);
      expect(one.instances[0]!.address).toBe(two.instances[0]!.address);
    });

    it('lists workloads by labels', async () => {
      const all = await f.target.list(f.labels);
      expect(all.map((w: WorkloadStatus) => w.name)).toContain(`${f.prefix}-web`);
      expect(await f.target.list({ ...f.labels, 'io.slipway.contract': 'nothing-has-this' })).toEqual([]);
    });

    it('removes a workload without deleting its volumes; only removeVolume does', async () => {
      const volume = `${f.prefix}-data`;
      const spec = workload('stateful', f.serve, { volumes: [{ volume, path: '/data' }] });
      await f.target.apply(spec);
      await ready(spec.name, 1);
      expect(await f.volumeExists(volume)).toBe(true);
      await f.target.remove(spec.name, 5);
      await gone(spec.name);
      expect(await f.volumeExists(volume)).toBe(true);
      await f.target.removeVolume(volume);
      expect(await f.volumeExists(volume)).toBe(false);
    });

    it("moves a volume's files out as a tar and into another volume, owners kept, where the target can", async () => {
      const { exportVolume, importVolume } = f.target;
      if (!exportVolume || !importVolume) {
        // Both or neither: the port's volume transfer is one capability.
        expect([exportVolume, importVolume]).toEqual([undefined, undefined]);
        return;
      }
      const dir = mkdtempSync(join(tmpdir(), 'slipway-contract-volume-'));
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'note'), 'hello\n');
      writeFileSync(join(dir, 'sub', 'deep'), 'deep\n');
      const tar = execFileSync('tar', ['-c', '-C', dir, '--owner=1000', '--group=1000', '.']);
      rmSync(dir, { recursive: true, force: true });
      const [from, to] = [`${f.prefix}-files-a`, `${f.prefix}-files-b`];
      const through = (volume: string) => ({ name: `${f.prefix}-transfer`, volume, path: '/data', image: f.serve.image, registryAuth: f.registryAuth, labels: f.labels });
      const read = async (volume: string) => {
        const chunks: Buffer[] = [];
        for await (const chunk of exportVolume.call(f.target, through(volume))) chunks.push(Buffer.from(chunk));
        return Buffer.concat(chunks);
      };
      try {
        await importVolume.call(f.target, through(from), (async function* () {
          yield tar;
        })());
        const out = await read(from);
        await importVolume.call(f.target, through(to), (async function* () {
          yield out;
        })());
        const back = await read(to);
        expect(execFileSync('tar', ['-tv', '--numeric-owner'], { input: back }).toString()).toMatch(/ 1000\/1000 .* \.\/sub\/deep$/m);
        expect(execFileSync('tar', ['-xO', './note'], { input: back }).toString()).toBe('hello\n');
        expect(await f.volumeExists(to)).toBe(true);
      } finally {
        await f.target.removeVolume(from);
        await f.target.removeVolume(to);
      }
    });

    it('removing a missing workload, job or volume is fine', async () => {
      await f.target.remove(`${f.prefix}-never-there`, 1);
      await f.target.removeJob(`${f.prefix}-never-there`);
      expect(await f.target.observe(`${f.prefix}-never-there`)).toBeNull();
      expect(await f.target.job(`${f.prefix}-never-there`)).toBeNull();
    });

    it('reports a replica that never answers as running and not ready, with a reason', async () => {
      const spec = workload('idle', f.idle);
      await f.target.apply(spec);
      const s = await until('idle replica running', async () => {
        const w = await f.target.observe(spec.name);
        return w?.instances[0]?.state === 'running' ? w : undefined;
      });
      await new Promise((r) => setTimeout(r, 1000));
      const again = (await f.target.observe(spec.name))!;
      expect(again.instances[0]!.ready).toBe(false);
      expect(again.instances[0]!.message).toBeTruthy();
      expect(s.instances).toHaveLength(1);
      await f.target.remove(spec.name, 1);
      await gone(spec.name);
    });

    it('reports a replica that exits with its exit code', async () => {
      const spec = workload('crash', f.exit, { env: { EXIT_CODE: '3', OUTPUT: 'boom' } });
      await f.target.apply(spec);
      const s = await until('crashed replica', async () => {
        const w = await f.target.observe(spec.name);
        const i = w?.instances[0];
        return i && (i.state === 'exited' || i.state === 'failed') && i.exitCode === 3 ? i : undefined;
      });
      expect(s.ready).toBe(false);
      await f.target.remove(spec.name, 1);
      await gone(spec.name);
    });

    it('reports an image it cannot get as failed, with a reason', async () => {
      const spec = workload('missing', { image: f.missingImage, command: null });
      await f.target.apply(spec);
      const i = await until('failed replica', async () => {
        const w = await f.target.observe(spec.name);
        return w?.instances.find((x) => x.state === 'failed');
      });
      expect(i.message).toBeTruthy();
      expect(i.ready).toBe(false);
      await f.target.remove(spec.name, 1);
      await gone(spec.name);
    });

    it('runs a job to completion: exit 0 succeeds, with its output', async () => {
      const spec = job('job-ok', { EXIT_CODE: '0', OUTPUT: 'migrated 3 tables' });
      await f.target.runJob(spec);
      const s = await ended(spec.name);
      expect(s).toMatchObject({ state: 'succeeded', exitCode: 0 });
      expect(s.startedAt).toBeTruthy();
      expect(s.finishedAt).toBeTruthy();
      const lines = await f.target.logs(spec.name, 10);
      expect(lines.map((l) => l.line)).toContain('migrated 3 tables');
      await f.target.removeJob(spec.name);
      expect(await f.target.job(spec.name)).toBeNull();
    });

    it('runs a job that fails: its exit code and a reason', async () => {
      const spec = job('job-fail', { EXIT_CODE: '4', OUTPUT: 'no' });
      await f.target.runJob(spec);
      await f.target.runJob(spec); // a second start of the same job changes nothing
      expect(await ended(spec.name)).toMatchObject({ state: 'failed', exitCode: 4 });
      await f.target.removeJob(spec.name);
    });

    it('ends a job that runs past its timeout', async () => {
      const spec = job('job-slow', { EXIT_CODE: '0', OUTPUT: 'late', RUN_MS: '30000' }, { timeoutSeconds: 1 });
      await f.target.runJob(spec);
      const s = await ended(spec.name);
      expect(s.state).toBe('failed');
      expect(s.message).toMatch(/timed out/);
      await f.target.removeJob(spec.name);
    });

    it('removes the last workload', async () => {
      await f.target.remove(`${f.prefix}-web`, 1);
      await gone(`${f.prefix}-web`);
      expect(await f.target.list(f.labels)).toEqual([]);
    });
  });
}
