/** CaddySupervisor with the real caddy binary: start, crash and restart, adoption, release, stop, the admin socket. */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_ROUTE_BODY, adminListenOf } from './caddy-config.js';
import { CaddySupervisor, adminSocketOf, type SupervisorEvent } from './caddy-supervisor.js';
import { eventually, freePort, proxyGet, startUpstream, type Upstream } from './test-support/http.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('CaddySupervisor', () => {
  let a: Upstream;
  const supervisors: CaddySupervisor[] = [];

  beforeAll(async () => {
    a = await startUpstream('A');
  });

  afterAll(async () => {
    for (const supervisor of supervisors.reverse()) await supervisor.stop();
    await a?.close();
  });

  async function supervise(options: Partial<ConstructorParameters<typeof CaddySupervisor>[0]> = {}) {
    const events: SupervisorEvent[] = [];
    const logs: string[] = [];
    const supervisor = new CaddySupervisor({
      proxyListen: `127.0.0.1:${await freePort()}`,
      backoff: { initialMs: 100, maxMs: 1_000 },
      onEvent: (event) => events.push(event),
      onLog: (line) => logs.push(line),
      ...options,
    });
    supervisors.push(supervisor);
    return { supervisor, events, logs };
  }

  it('starts caddy, passes its log lines on, and restarts it with the routes after a crash', async () => {
    const { supervisor, events, logs } = await supervise();
    await supervisor.start();
    const proxy = ((await supervisor.admin.getConfig('apps/http/servers/slipway/listen')) as string[])[0]!;
    await supervisor.admin.setRoute('web', ['web.test.localhost'], [a.address]);
    await supervisor.admin.setRoute('api', ['api.test.localhost'], [a.address]);
    expect(await proxyGet(proxy, 'web.test.localhost')).toEqual({ status: 200, body: 'A' });
    expect(supervisor.owned).toBe(true);
    const routes = await supervisor.admin.listRoutes();
    expect(supervisor.knownRoutes()).toEqual(routes);
    await eventually(async () => logs.some((line) => line.includes('serving initial configuration')), 2_000);

    const firstPid = supervisor.pid!;
    process.kill(firstPid, 'SIGKILL');
    await eventually(async () => supervisor.restarts === 1);
    expect(supervisor.pid).not.toBe(firstPid);
    expect(await proxyGet(proxy, 'web.test.localhost')).toEqual({ status: 200, body: 'A' });
    expect(await supervisor.admin.listRoutes()).toEqual(routes);
    expect(routes.map((route) => route.id)).toEqual(['api', 'web']);
    const lifecycle = events.filter((event) => event.type !== 'warning');
    expect(lifecycle.map((event) => event.type)).toEqual(['started', 'exited', 'started']);
    expect(lifecycle[1]).toMatchObject({ type: 'exited', pid: firstPid, signal: 'SIGKILL', restartInMs: 100 });

    const secondPid = supervisor.pid!;
    await supervisor.stop();
    expect(alive(secondPid)).toBe(false);
    expect(await supervisor.admin.isUp(300)).toBe(false);
  });

  it('backs off while caddy cannot come back, and restarts once it can', async () => {
    const { supervisor, events } = await supervise({ backoff: { initialMs: 300, maxMs: 600 }, adopt: false });
    await supervisor.start();
    const proxy = ((await supervisor.admin.getConfig('apps/http/servers/slipway/listen')) as string[])[0]!;
    const port = Number(proxy.split(':')[1]);
    await supervisor.admin.setRoute('web', ['web.test.localhost'], [a.address]);

    process.kill(supervisor.pid!, 'SIGKILL');
    const blocker = createServer();
    await eventually(
      () => new Promise<boolean>((resolve) => {
        blocker.once('error', () => resolve(false));
        blocker.listen(port, '127.0.0.1', () => resolve(true));
      }),
      250,
    );
    await eventually(async () => events.filter((event) => event.type === 'restart-failed').length >= 2);
    const failed = events.filter((event) => event.type === 'restart-failed');
    expect(failed.map((event) => event.restartInMs)).toEqual([600, 600].slice(0, failed.length));
    expect(String(failed[0]?.type === 'restart-failed' && failed[0].error.message)).toMatch(/address already in use/);

    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    await eventually(async () => supervisor.restarts === 1);
    expect(await proxyGet(proxy, 'web.test.localhost')).toEqual({ status: 200, body: 'A' });
  });

  it('release leaves caddy serving its routes; the next supervisor on the state dir adopts it; stop ends it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'slipway-caddy-state-'));
    try {
      const { supervisor: owner } = await supervise({ stateDir });
      await owner.start();
      const caddyPid = owner.pid!;
      await owner.admin.setRoute('web', ['web.test.localhost'], [a.address]);
      const proxyListen = ((await owner.admin.getConfig('apps/http/servers/slipway/listen')) as string[])[0]!;
      await owner.release();
      expect(alive(caddyPid)).toBe(true);
      expect(await proxyGet(proxyListen, 'web.test.localhost')).toEqual({ status: 200, body: 'A' });

      const { supervisor: adopter, events } = await supervise({ stateDir, proxyListen });
      await adopter.start();
      expect(adopter.owned).toBe(false);
      expect(adopter.pid).toBeUndefined();
      expect(events).toEqual([{ type: 'adopted' }]);
      expect(adopter.knownRoutes()).toEqual([{ id: 'web', hosts: ['web.test.localhost'], upstreams: [a.address] }]);
      await adopter.release();
      expect(await proxyGet(proxyListen, 'web.test.localhost')).toEqual({ status: 200, body: 'A' });

      const { supervisor: last } = await supervise({ stateDir, proxyListen });
      await last.start();
      expect(last.owned).toBe(false);
      await last.stop();
      await eventually(async () => !alive(caddyPid));
      expect(await last.admin.isUp(300)).toBe(false);
      await expect(proxyGet(proxyListen, 'web.test.localhost')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('keeps the admin API on a unix socket (no TCP listener) in a 0700 directory: one Caddy per state dir', async () => {
    const { supervisor: first } = await supervise({ adopt: true });
    const { supervisor: second } = await supervise({ adopt: true });
    await first.start();
    await second.start();
    // Two state dirs, two Caddies: the second one did not adopt the first.
    expect(first.owned && second.owned).toBe(true);
    expect(first.pid).not.toBe(second.pid);
    await first.admin.setRoute('web', ['web.test.localhost'], [a.address]);
    expect(await second.admin.listRoutes()).toEqual([]);
    const proxyOf = async (s: CaddySupervisor) => ((await s.admin.getConfig('apps/http/servers/slipway/listen')) as string[])[0]!;
    expect(await proxyGet(await proxyOf(first), 'web.test.localhost')).toEqual({ status: 200, body: 'A' });
    expect((await proxyGet(await proxyOf(second), 'web.test.localhost')).status).toBe(404);

    expect(await first.admin.getConfig('admin/listen')).toBe(adminListenOf(first.admin.socketPath));
    const socket = first.admin.socketPath;
    const dir = socket.slice(0, socket.lastIndexOf('/'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o077).toBe(0);
  });

  it.skipIf(process.getuid?.() !== 0)('refuses another user at the admin socket', async () => {
    const { supervisor } = await supervise();
    await supervisor.start();
    // A config change (a reload) keeps the socket's mode.
    await supervisor.admin.setRoute('web', ['web.test.localhost'], [a.address]);
    expect(statSync(supervisor.admin.socketPath).mode & 0o077).toBe(0);
    const probe = `require('node:http').request({ socketPath: ${JSON.stringify(supervisor.admin.socketPath)}, path: '/config/', setHost: false, headers: { host: '' } }, (res) => { console.log('status ' + res.statusCode); }).on('error', (e) => console.log(e.code)).end()`;
    const asNobody = spawn(process.execPath, ['-e', probe], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    asNobody.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => asNobody.once('exit', resolve));
    expect(out.trim()).toBe('EACCES');
    // Even with the directory opened up by mistake, the socket itself refuses.
    const dir = supervisor.admin.socketPath.slice(0, supervisor.admin.socketPath.lastIndexOf('/'));
    chmodSync(dir, 0o755);
    const again = spawn(process.execPath, ['-e', probe], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
    let out2 = '';
    again.stdout.on('data', (chunk: Buffer) => (out2 += chunk.toString()));
    await new Promise((resolve) => again.once('exit', resolve));
    chmodSync(dir, 0o700);
    expect(out2.trim()).toBe('EACCES');
  });

  it('leaves caddy serving when the control plane is killed, and the next one adopts it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'slipway-caddy-state-'));
    const proxyListen = `127.0.0.1:${await freePort()}`;
    const options = { proxyListen, stateDir, adopt: false };
    const script = fileURLToPath(new URL('./test-support/supervise-script.ts', import.meta.url));
    const routes = [{ id: 'web', hosts: ['web.test.localhost'], upstreams: [a.address] }];
    const controlPlane = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(options), JSON.stringify(routes)], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let caddyPid = 0;
    try {
      caddyPid = await new Promise<number>((resolve, reject) => {
        controlPlane.stdout.on('data', (chunk: Buffer) => {
          const match = /ready (\d+)/.exec(chunk.toString());
          if (match) resolve(Number(match[1]));
        });
        controlPlane.once('exit', (code) => reject(new Error(`control plane exited ${code}`)));
      });
      controlPlane.kill('SIGKILL');
      await new Promise((resolve) => controlPlane.once('exit', resolve));
      expect(alive(caddyPid)).toBe(true);
      expect(await proxyGet(proxyListen, 'web.test.localhost')).toEqual({ status: 200, body: 'A' });

      const { supervisor, events } = await supervise({ proxyListen, stateDir });
      await supervisor.start();
      expect(events).toEqual([{ type: 'adopted' }]);
      expect(supervisor.knownRoutes()).toEqual(routes);
      expect(await proxyGet(proxyListen, 'web.test.localhost')).toEqual({ status: 200, body: 'A' });

      // The adopted Caddy dies: the adopter notices (two missed probes, 2 s apart) and starts its own.
      process.kill(caddyPid, 'SIGKILL');
      await eventually(async () => supervisor.owned && supervisor.pid !== undefined, 15_000);
      expect(events.map((event) => event.type)).toEqual(['adopted', 'lost', 'started']);
      expect(await proxyGet(proxyListen, 'web.test.localhost')).toEqual({ status: 200, body: 'A' });
    } finally {
      controlPlane.kill('SIGKILL');
      if (caddyPid && alive(caddyPid)) process.kill(caddyPid, 'SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('adopts a caddy that has no http app and gives it the slipway server', async () => {
    const home = mkdtempSync(join(tmpdir(), 'slipway-caddy-bare-'));
    writeFileSync(join(home, 'caddy.json'), JSON.stringify({ admin: { listen: adminListenOf(adminSocketOf(home)), config: { persist: false } } }));
    const bare = spawn('caddy', ['run', '--config', 'caddy.json'], { cwd: home, env: { PATH: process.env.PATH, HOME: home }, stdio: 'ignore' });
    try {
      const { supervisor } = await supervise({ stateDir: home });
      await eventually(() => supervisor.admin.isUp());
      await supervisor.start();
      const proxyListen = ((await supervisor.admin.getConfig('apps/http/servers/slipway/listen')) as string[])[0]!;
      expect(await proxyGet(proxyListen, 'nobody.test.localhost')).toEqual({ status: 404, body: NO_ROUTE_BODY });
      expect(supervisor.owned).toBe(false);
    } finally {
      bare.kill('SIGKILL');
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('fails to start with caddy’s own reason when the proxy port is taken', async () => {
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const { supervisor } = await supervise({ proxyListen: `127.0.0.1:${port}`, adopt: false });
      await expect(supervisor.start()).rejects.toThrow(/caddy exited during start.*address already in use/);
      expect(supervisor.pid).toBeUndefined();
    } finally {
      blocker.close();
    }
  });

  it('fails to start with a clear message when the binary is missing', async () => {
    const { supervisor } = await supervise({ binary: '/nonexistent/caddy', adopt: false });
    await expect(supervisor.start()).rejects.toThrow(/cannot start \/nonexistent\/caddy: spawn \/nonexistent\/caddy ENOENT/);
  });

  it('refuses a proxy address that is not loopback, and a state dir too deep for a unix socket', () => {
    expect(() => new CaddySupervisor({ proxyListen: ':80' })).toThrow(/not a loopback address/);
    expect(() => new CaddySupervisor({ proxyListen: '0.0.0.0:8080' })).toThrow(/not a loopback address/);
    expect(() => new CaddySupervisor({ proxyListen: '127.0.0.1:8080', stateDir: `/tmp/${'x'.repeat(100)}` })).toThrow(/at most 107/);
  });
});
