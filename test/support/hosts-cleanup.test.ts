/**
 * Test hosts never outlive their test: a process that made a host (with an engine, a container and
 * a spawned process) and then ends without destroy() — exiting, stopped by SIGTERM, or killed by
 * SIGKILL — leaves nothing behind once its exit hooks ran or, for SIGKILL, once the next run's
 * sweeper ran; and the sweeper leaves a live process's hosts alone. Needs root and Docker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftoversOf, processRunning as alive, sweepTestHosts } from './hosts-sweep.js';
import { baseRootfs, sh } from './images.js';
import { repoRoot } from './server-process.js';

const image = `slipway-test-hosts/cleanup:${process.pid}`;
const children = new Set<ChildProcess>();

interface Made {
  child: ChildProcess;
  runId: string;
  pids: number[];
  exited: Promise<NodeJS.Signals | number | null>;
}

/** Starts hosts-fixture.ts and waits for its line: the run id and the pids it started. */
async function makeHostInChild(): Promise<Made> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/support/hosts-fixture.ts'), image], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const line = await Promise.race([
    new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
    exited.then(() => {
      throw new Error(`the fixture ended before making its host: ${stderr}`);
    }),
  ]);
  const { runId, pids } = JSON.parse(line) as { runId: string; pids: number[] };
  return { child, runId, pids, exited };
}

beforeAll(async () => {
  await sh('docker', ['import', '-c', 'ENV PATH=/bin', await baseRootfs('static'), image]);
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  sweepTestHosts();
  await sh('docker', ['rmi', image]).catch(() => undefined);
});

describe('test hosts teardown', () => {
  it('an exit without destroy() removes everything (exit hook)', async () => {
    const made = await makeHostInChild();
    expect(made.pids.every(alive)).toBe(true);
    made.child.stdin!.write('exit\n');
    expect(await made.exited).toBe(0);
    expect(leftoversOf(made.runId)).toEqual([]);
    expect(made.pids.filter(alive)).toEqual([]);
  }, 120_000);

  it('SIGTERM removes everything (signal hook) and still ends the process by the signal', async () => {
    const made = await makeHostInChild();
    made.child.kill('SIGTERM');
    expect(await made.exited).toBe('SIGTERM');
    expect(leftoversOf(made.runId)).toEqual([]);
    expect(made.pids.filter(alive)).toEqual([]);
  }, 120_000);

  it('after SIGKILL the sweeper removes the leftovers, and leaves a live run alone', async () => {
    const made = await makeHostInChild();
    expect(sweepTestHosts()).not.toContain(made.runId);
    expect(made.pids.every(alive)).toBe(true);
    made.child.kill('SIGKILL');
    expect(await made.exited).toBe('SIGKILL');
    // Killed outright, it could clean nothing: its engine, container and spawned process still run.
    expect(made.pids.every(alive)).toBe(true);
    expect(leftoversOf(made.runId).length).toBeGreaterThan(0);
    expect(sweepTestHosts()).toContain(made.runId);
    expect(leftoversOf(made.runId)).toEqual([]);
    expect(made.pids.filter(alive)).toEqual([]);
  }, 120_000);
});
