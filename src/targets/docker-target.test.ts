/**
 * The target contract on the local Docker engine, with a busybox image made on this machine; and
 * a job left made but not started by a process that died, started by the next one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { targetContract } from '../deploy/test-support/target-contract.js';
import type { JobSpec, JobStatus } from '../deploy/target.js';
import { DockerTarget } from './docker-target.js';
import { DockerEngine } from './docker/index.js';
import { importBusyboxImage, removeTestObjects, testLabel, uniqueRun } from './docker/test-support/busybox.js';

targetContract('local Docker engine', async () => {
  const engine = new DockerEngine();
  const run = uniqueRun();
  const image = `slipway-contract:${run}`;
  await importBusyboxImage(image, run);
  const target = new DockerTarget({ engine });
  return {
    target,
    registryAuth: null,
    serve: { image, command: ['/bin/sh', '-c', 'mkdir -p /tmp/www && echo "$GREETING" > /tmp/www/index.html && exec /bin/busybox httpd -f -p 8080 -h /tmp/www'] },
    port: 8080,
    idle: { image, command: ['/bin/busybox', 'sleep', '3600'] },
    exit: { image, command: ['/bin/sh', '-c', '/bin/busybox sleep $(( ${RUN_MS:-0} / 1000 )); echo "$OUTPUT"; exit ${EXIT_CODE:-0}'] },
    missingImage: '127.0.0.1:1/nothing/here@sha256:0000000000000000000000000000000000000000000000000000000000000000',
    volumeExists: (name) => engine.volumeExists(name),
    prefix: `slw-contract-${run}`,
    labels: { [testLabel]: run },
    cleanup: async () => {
      await target.settle();
      await removeTestObjects(engine, run, [image]);
      await engine.removeVolume(`slw-contract-${run}-data`).catch(() => undefined);
    },
  };
});

describe('a job made but never started (the control plane killed between create and start)', () => {
  const engine = new DockerEngine();
  const run = uniqueRun();
  const image = `slipway-orphan-job:${run}`;
  afterAll(() => removeTestObjects(engine, run, [image]));

  it('is unknown to the next process, and its runJob starts it: it runs once, to completion', async () => {
    await importBusyboxImage(image, run);
    /** An engine whose starts never happen, as if the process died right after the create. */
    class KilledBeforeStart extends DockerEngine {
      override startContainer(): Promise<void> {
        return Promise.reject(new Error('killed'));
      }
    }
    const spec: JobSpec = {
      name: `slw-orphan-${run}`,
      image,
      registryAuth: null,
      env: { OUTPUT: 'migrated' },
      command: ['/bin/sh', '-c', 'echo "$OUTPUT"'],
      resources: { cpuMillis: null, memoryBytes: 64 * 1024 ** 2 },
      volumes: [],
      networks: [],
      labels: { [testLabel]: run },
      timeoutSeconds: 60,
    };
    const settled = async (target: DockerTarget, done: (s: JobStatus | null) => boolean) => {
      let s = await target.job(spec.name);
      for (let i = 0; i < 200 && !done(s); i += 1) {
        await new Promise((r) => setTimeout(r, 100));
        s = await target.job(spec.name);
      }
      return s;
    };
    const first = new DockerTarget({ engine: new KilledBeforeStart() });
    await first.runJob(spec);
    expect(await settled(first, (s) => s?.state === 'failed')).toMatchObject({ state: 'failed', message: expect.stringMatching(/killed/) });
    expect((await engine.inspectContainer(spec.name))?.state.status).toBe('created');
    // The next control plane: the job is not known as started, so the runner asks again.
    const next = new DockerTarget({ engine });
    expect(await next.job(spec.name)).toBeNull();
    await next.runJob(spec);
    expect(await settled(next, (s) => s?.state === 'succeeded' || s?.state === 'failed')).toMatchObject({ state: 'succeeded', exitCode: 0 });
    expect((await next.logs(spec.name, 10)).map((l) => l.line)).toEqual(['migrated']);
    // Started once: a second runJob of the finished job changes nothing.
    await next.runJob(spec);
    await new Promise((r) => setTimeout(r, 500));
    expect((await next.job(spec.name))?.state).toBe('succeeded');
    expect((await next.logs(spec.name, 10)).map((l) => l.line)).toEqual(['migrated']);
    await next.removeJob(spec.name);
  }, 60_000);
});
