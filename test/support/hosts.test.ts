/**
 * Test hosts (hosts.ts): two hosts, each with its own engine, a container on each published on the
 * host's address and reached from the machine, host-to-host and host-to-bridge traffic, a cut and
 * restored link, and nothing left after destroy(). Needs root and the machine's Docker engine.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHosts, type TestHosts } from './hosts.js';
import { leftoversOf, processRunning } from './hosts-sweep.js';
import { baseRootfs, sh, waitForHttp } from './images.js';

const work = mkdtempSync(join(tmpdir(), 'slipway-hosts-'));
const image = `slipway-test-hosts/web:${process.pid}`;
let world: TestHosts | undefined;
let control: Server | undefined;

/** Serves `name` on 8080 from the static base's busybox httpd. */
function runWeb(name: string): string[] {
  return ['sh', '-c', `echo ${name} > /usr/share/nginx/html/index.html && exec busybox httpd -f -p 8080 -h /usr/share/nginx/html`];
}

/** GET with a short deadline: the body, or the error's message. */
async function tryGet(url: string): Promise<string> {
  try {
    return await (await fetch(url, { signal: AbortSignal.timeout(1500) })).text();
  } catch (error) {
    return `unreachable: ${(error as Error).message}`;
  }
}

beforeAll(async () => {
  await sh('docker', ['import', '-c', 'ENV PATH=/bin', await baseRootfs('static'), image]);
  await sh('docker', ['save', '-o', join(work, 'web.tar'), image]);
}, 120_000);

afterAll(async () => {
  control?.close();
  await world?.destroy();
  await sh('docker', ['rmi', image]).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

describe('test hosts', () => {
  it('makes two hosts with their own engines, reachable from the machine and from each other', async () => {
    world = await createTestHosts({ count: 2 });
    console.log(`2 test hosts made in ${world.timings.totalMs} ms (network ${world.timings.networkMs} ms, engines ${world.timings.enginesMs} ms)`);
    const [one, two] = world.hosts;
    if (!one || !two) throw new Error('two hosts expected');
    expect([one.name, two.name]).toEqual(['host1', 'host2']);
    expect(one.address).not.toBe(two.address);
    expect(one.dockerHost).not.toBe(two.dockerHost);

    // One image from the machine's engine, the other from a saved tar.
    await one.loadImage(image);
    await two.loadImage(join(work, 'web.tar'));
    for (const host of [one, two]) await host.docker(['run', '-d', '--name', 'web', '-p', `${host.address}:8080:8080`, image, ...runWeb(host.name)]);
    expect(await waitForHttp(`http://${one.address}:8080/`, 15_000)).toBe('host1\n');
    expect(await waitForHttp(`http://${two.address}:8080/`, 15_000)).toBe('host2\n');
    // Each engine sees only its own container.
    expect((await one.docker(['ps', '-q'])).trim().split('\n')).toHaveLength(1);
    expect((await two.docker(['ps', '--format', '{{.Ports}}'])).trim()).toBe(`${two.address}:8080->8080/tcp`);

    // Host to host, and host to the bridge address where the control plane will listen.
    expect(await one.exec('curl', ['-sS', '-m', '5', `http://${two.address}:8080/`])).toBe('host2\n');
    control = createServer((req, res) => res.end(`control plane saw ${req.socket.remoteAddress}`));
    await new Promise<void>((resolve) => control!.listen(0, world!.bridgeAddress, resolve));
    const port = (control.address() as { port: number }).port;
    expect(await one.exec('curl', ['-sS', '-m', '5', `http://${world.bridgeAddress}:${port}/`])).toBe(`control plane saw ${one.address}`);
    expect(await two.exec('curl', ['-sS', '-m', '5', `http://${world.bridgeAddress}:${port}/`])).toBe(`control plane saw ${two.address}`);
  }, 120_000);

  it('cuts a host off and brings it back', async () => {
    const [one, two] = world!.hosts;
    await one!.linkDown();
    expect(await tryGet(`http://${one!.address}:8080/`)).toMatch(/^unreachable/);
    await expect(two!.exec('curl', ['-sS', '-m', '2', `http://${one!.address}:8080/`])).rejects.toThrow(/timed out|Timeout/i);
    expect(await tryGet(`http://${two!.address}:8080/`)).toBe('host2\n');
    await one!.linkUp();
    expect(await waitForHttp(`http://${one!.address}:8080/`, 15_000)).toBe('host1\n');
    expect(await two!.exec('curl', ['-sS', '-m', '5', '--retry', '5', '--retry-connrefused', `http://${one!.address}:8080/`])).toBe('host1\n');
  }, 60_000);

  it('runs long-lived processes in a host and leaves nothing after destroy', async () => {
    const two = world!.hosts[1]!;
    const site = join(work, 'spawned');
    mkdirSync(site);
    writeFileSync(join(site, 'index.html'), 'spawned\n');
    const child = two.spawn('busybox', ['httpd', '-f', '-p', `${two.address}:9090`, '-h', site], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal)));
    expect(await waitForHttp(`http://${two.address}:9090/`, 10_000)).toBe('spawned\n');
    // It listens in the host's namespace only: not on the machine's loopback.
    expect(await tryGet('http://127.0.0.1:9090/')).toMatch(/^unreachable/);

    const { runId, hosts } = world!;
    const pids = [...hosts.map((h) => h.enginePid), child.pid!];
    expect(leftoversOf(runId).length).toBeGreaterThan(0);
    const started = Date.now();
    await world!.destroy();
    console.log(`2 test hosts destroyed in ${Date.now() - started} ms`);
    world = undefined;
    expect(await exited).toBe('SIGKILL');
    expect(leftoversOf(runId)).toEqual([]);
    expect(pids.filter(processRunning)).toEqual([]);
    expect(await sh('ip', ['netns', 'list'])).not.toContain(`slwh-${runId}`);
    expect(await sh('ip', ['-o', 'link', 'show'])).not.toMatch(new RegExp(`slw(br|v)${runId}`));
  }, 60_000);
});
