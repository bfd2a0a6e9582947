/**
 * A provisioned service's health on the workspace change stream, on the real Docker engine: a
 * custom image (busybox httpd with an HTTP health check, made on this machine) provisioned by
 * `slipway service create`; its container stopped with `docker stop` is announced as
 * `{kind: service, change: health, status: stopped}` (and `service show` says so too), started
 * again as `ready` (through `starting` if a pass saw it before its check answered); a health that
 * stays the same is not announced again, pass after pass. `slipway service show --wait-health`
 * returns once the health is the one asked for, and fails with SLW_WAIT_TIMEOUT (or SLW_USAGE for
 * a health that does not exist) otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceChange, WorkspaceChange } from '../../src/api/streams.js';
import { pushCustomImage } from '../support/custom-image.js';
import { deployWorld, type DeployWorld } from '../support/deploy.js';
import { cleanup } from '../support/server-process.js';
import { followStream, type SseEvent } from '../support/sse.js';

interface Service {
  provisioned?: { health: string; volume: string | null; network: string };
}

let w: DeployWorld;
let svc: Service | undefined;

const healthOf = (events: SseEvent[], name: string) =>
  events
    .filter((e) => e.event === 'change')
    .map((e) => JSON.parse(e.data ?? '{}') as WorkspaceChange)
    .filter((c): c is ServiceChange => c.kind === 'service' && c.name === name && c.change === 'health');

beforeAll(async () => {
  w = await deployWorld({ workspace: 'svchealth' });
  await pushCustomImage(w.docker, `${w.host}/${w.ws}/base:kv1`, 1);
}, 400_000);

afterAll(async () => {
  await w?.run(['service', 'remove', 'kv', '-w', w.ws, '--drop-data', '--confirm', 'kv', '--json']).catch(() => undefined);
  await w?.dispose();
  if (svc?.provisioned?.volume) await w.docker(['volume', 'rm', '-f', svc.provisioned.volume]).catch(() => undefined);
  if (svc?.provisioned?.network) await w.docker(['network', 'rm', svc.provisioned.network]).catch(() => undefined);
  await cleanup();
}, 120_000);

describe("a provisioned service's health on the change stream", () => {
  it('announces stopped when its container stops and ready when it runs again, each transition once', async () => {
    const created = await w.run(['service', 'create', 'kv', '-w', w.ws, '--kind', 'custom', '--image', 'base:kv1', '--port', '8080', '--volume', '/data', '--health', 'http:/healthz', '--memory', '64m', '--json']);
    expect(created.code, created.stderr).toBe(0);
    svc = created.json<Service>();
    expect(svc.provisioned?.health).toBe('ready');
    const container = `${svc.provisioned?.network}-1`;

    const stream = await followStream(w.server.url, `/api/v1/workspaces/${w.ws}/events`, w.server.adminToken);
    try {
      await stream.until(() => stream.text().startsWith('retry: 1000\n\n'));
      // Ready all along: passes of the watch (every 5 s) announce nothing.
      await new Promise((r) => setTimeout(r, 11_000));
      expect(healthOf(stream.events, 'kv')).toEqual([]);

      // The CLI waits on the same changes: started before the stop, it returns once stopped.
      const waitStopped = w.run(['service', 'show', 'kv', '-w', w.ws, '--wait-health', 'stopped', '--timeout', '60s', '--json']);
      await new Promise((r) => setTimeout(r, 1_000));
      await w.docker(['stop', container]);
      await stream.until((e) => healthOf(e, 'kv').some((c) => c.status === 'stopped'), 30_000);
      const shown = await w.run(['service', 'show', 'kv', '-w', w.ws, '--json']);
      expect(shown.json<{ service: Service }>().service.provisioned?.health).toBe('stopped');
      const stopped = await waitStopped;
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.json<{ service: Service }>().service.provisioned?.health).toBe('stopped');
      const timedOut = await w.run(['service', 'show', 'kv', '-w', w.ws, '--wait-health', 'ready', '--timeout', '2s', '--json']);
      expect(timedOut.code).not.toBe(0);
      expect(timedOut.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'SLW_WAIT_TIMEOUT', message: expect.stringContaining("service 'kv' is stopped") });
      expect(timedOut.json<{ error: { code: string } }>().error.code).toBe('SLW_WAIT_TIMEOUT');
      const bad = await w.run(['service', 'show', 'kv', '-w', w.ws, '--wait-health', 'healthy', '--json']);
      expect(bad.json<{ error: { code: string } }>().error.code).toBe('SLW_USAGE');

      await w.docker(['start', container]);
      const ready = await w.run(['service', 'show', 'kv', '-w', w.ws, '--wait-health', 'ready', '--timeout', '60s']);
      expect(ready.code, ready.stderr).toBe(0);
      expect(ready.stdout).toContain('kv');
      await stream.until((e) => healthOf(e, 'kv').at(-1)?.status === 'ready', 30_000);
      // Stays ready: nothing more is announced.
      await new Promise((r) => setTimeout(r, 11_000));
      const statuses = healthOf(stream.events, 'kv').map((c) => c.status);
      // A watch pass that lands while the container is being stopped (still running, its health
      // check already failing) sees it starting first: stopped follows at the next pass.
      expect(statuses.indexOf('stopped')).toBeGreaterThanOrEqual(0);
      expect(statuses.slice(0, statuses.indexOf('stopped')).every((s) => s === 'starting')).toBe(true);
      expect(statuses.at(-1)).toBe('ready');
      expect(statuses.every((s) => s === 'stopped' || s === 'starting' || s === 'ready')).toBe(true);
      // Only transitions: never the same health twice in a row.
      for (let i = 1; i < statuses.length; i += 1) expect(statuses[i]).not.toBe(statuses[i - 1]);
      for (const c of healthOf(stream.events, 'kv')) {
        expect(c.project).toBeUndefined();
        expect(new Date(c.at).toISOString()).toBe(c.at);
      }
    } finally {
      stream.close();
    }
  }, 120_000);
});
