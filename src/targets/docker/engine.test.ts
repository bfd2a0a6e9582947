/**
 * DockerEngine against the real engine: a busybox image imported for this run, containers
 * created, started, probed over HTTP on their 127.0.0.1 port, listed by labels, stopped, waited
 * for and removed; clear errors for a taken name, a missing image and a missing socket.
 * Everything made carries `io.slipway.test=<run>` and is removed at the end.
 */
import { freePort } from '../../../test/support/ports.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from './engine.js';
import { ContainerExistsError, DockerError } from './errors.js';
import { eventually, importBusyboxImage, removeTestObjects, testLabel, uniqueRun } from './test-support/busybox.js';
import type { ContainerSpec } from './types.js';

const docker = new DockerEngine();
const run = uniqueRun();
const image = `slipway-test/busybox:${run}`;
const labels = { [testLabel]: run };

function spec(extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return { image, env: {}, labels, containerPort: 8080, hostIp: '127.0.0.1', ...extra };
}


beforeAll(async () => {
  await importBusyboxImage(image, run, 'served by busybox\n');
});

afterAll(async () => {
  await removeTestObjects(docker, run, [image]);
});

describe('DockerEngine', () => {
  it('pings, tells its version, and names the socket when nothing answers there', async () => {
    await docker.ping();
    expect((await docker.version()).apiVersion).toMatch(/^1\.\d+$/);
    const missing = new DockerEngine({ socketPath: '/tmp/slipway-no-such-docker.sock' });
    await expect(missing.ping()).rejects.toThrow('no Docker engine answers at /tmp/slipway-no-such-docker.sock: start dockerd');
    await expect(missing.ping()).rejects.toMatchObject({ code: 'SLW_DOCKER_UNAVAILABLE' });
  });

  it('runs a container, publishes it on 127.0.0.1, reports health, and stops and removes it', async () => {
    const name = `slw-${run}-web`;
    const id = await docker.createContainer(name, spec({
      env: { GREETING: 'hi there', EMPTY: '' },
      labels: { ...labels, role: 'web' },
      memoryBytes: 64 * 1024 * 1024,
      nanoCpus: 500_000_000,
      restartPolicy: 'unless-stopped',
      healthcheck: { test: ['CMD', '/bin/busybox', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/'], intervalMs: 200, timeoutMs: 2000, retries: 3 },
    }));
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const created = await docker.inspectContainer(name);
    expect(created).toMatchObject({ id, name, image, labels: { role: 'web' }, state: { status: 'created', running: false, startedAt: null }, containerPort: 8080 });
    expect(created?.hostPort).toBeUndefined();

    await docker.startContainer(id);
    await docker.startContainer(id); // already running: fine
    const healthy = await eventually('healthy', async () => {
      const c = await docker.inspectContainer(id);
      return c?.state.health === 'healthy' ? c : undefined;
    });
    expect(healthy.state).toMatchObject({ status: 'running', running: true, exitCode: 0 });
    expect(healthy.state.startedAt).toMatch(/^\d{4}-/);
    expect(healthy.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(healthy.env).toEqual(expect.arrayContaining(['GREETING=hi there', 'EMPTY=', 'PATH=/bin']));
    expect(healthy.hostPort).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${healthy.hostPort}/`);
    expect(await res.text()).toBe('served by busybox\n');

    const [listed] = await docker.listContainers({ labels: { ...labels, role: 'web' }, all: false });
    expect(listed).toMatchObject({ id, names: [name], image, state: 'running', hostPort: healthy.hostPort, labels: { role: 'web' } });

    await docker.stopContainer(id, 1);
    await docker.stopContainer(id, 1); // already stopped (304): fine
    const stopped = await docker.inspectContainer(id);
    expect(stopped?.state.running).toBe(false);
    expect(stopped?.state.finishedAt).toMatch(/^\d{4}-/);
    await docker.removeContainer(id);
    await docker.removeContainer(id); // gone (404): fine
    expect(await docker.inspectContainer(id)).toBeNull();
  });

  it('binds a chosen host port', async () => {
    const port = await freePort();
    const id = await docker.createContainer(`slw-${run}-fixed`, spec({ hostPort: port }));
    await docker.startContainer(id);
    expect((await docker.inspectContainer(id))?.hostPort).toBe(port);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('served by busybox\n');
    await docker.removeContainer(id, { force: true });
  });

  it('refuses a taken name with the id of the container holding it', async () => {
    const name = `slw-${run}-taken`;
    const id = await docker.createContainer(name, spec({ cmd: ['busybox', 'sleep', '30'] }));
    const error = await docker.createContainer(name, spec()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerExistsError);
    expect(error).toMatchObject({ statusCode: 409, existingId: id, containerName: name });
    expect((error as Error).message).toContain(`a container named '${name}' already exists`);
    await docker.removeContainer(name, { force: true });
  });

  it('lists by labels, running only unless all', async () => {
    const group = { ...labels, group: `g-${run}` };
    const a = await docker.createContainer(`slw-${run}-a`, spec({ labels: { ...group, n: 'a' }, cmd: ['busybox', 'sleep', '30'] }));
    const b = await docker.createContainer(`slw-${run}-b`, spec({ labels: { ...group, n: 'b' }, cmd: ['busybox', 'sleep', '30'] }));
    await docker.createContainer(`slw-${run}-other`, spec({ cmd: ['busybox', 'sleep', '30'] }));
    await docker.startContainer(a);
    expect((await docker.listContainers({ labels: group, all: false })).map((c) => c.id)).toEqual([a]);
    expect((await docker.listContainers({ labels: group, all: true })).map((c) => c.id).sort()).toEqual([a, b].sort());
    expect((await docker.listContainers({ labels: { ...group, n: 'b' }, all: true })).map((c) => c.names)).toEqual([[`slw-${run}-b`]]);
    expect(await docker.listContainers({ labels: { [testLabel]: 'no-such-run' }, all: true })).toEqual([]);
    for (const id of [a, b]) await docker.removeContainer(id, { force: true });
  });

  it('removes a running container twice at once: both return once it is gone (the engine refuses the second with 409)', async () => {
    for (let i = 0; i < 3; i += 1) {
      const id = await docker.createContainer(`slw-${run}-twice-${i}`, spec({ cmd: ['busybox', 'sleep', '30'] }));
      await docker.startContainer(id);
      await Promise.all([docker.removeContainer(id, { force: true }), docker.removeContainer(id, { force: true })]);
      expect(await docker.inspectContainer(id)).toBeNull();
    }
  });

  it('waits for the exit code', async () => {
    const id = await docker.createContainer(`slw-${run}-exit`, spec({ cmd: ['sh', '-c', 'sleep 0.2; exit 3'] }));
    await docker.startContainer(id);
    expect(await docker.waitContainer(id)).toBe(3);
    expect((await docker.inspectContainer(id))?.state).toMatchObject({ status: 'exited', exitCode: 3, running: false });
    await docker.removeContainer(id);
  });

  it('says what is wrong: missing image, unknown container, image without health check', async () => {
    const missing = `slipway-test/missing:${run}`;
    const error = await docker.createContainer(`slw-${run}-noimage`, spec({ image: missing })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerError);
    expect(error).toMatchObject({ statusCode: 404, message: expect.stringContaining('No such image') });
    await expect(docker.startContainer(`slw-${run}-nothing`)).rejects.toMatchObject({ statusCode: 404, message: expect.stringContaining('No such container') });
    expect(await docker.imageExists(image)).toBe(true);
    expect(await docker.imageExists(missing)).toBe(false);
    expect(await docker.imageHealthcheck(image)).toBeNull();
    await expect(docker.imageHealthcheck(missing)).rejects.toMatchObject({ statusCode: 404 });
    await docker.removeImage(missing); // absent: fine
  });
});
