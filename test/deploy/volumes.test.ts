/**
 * Environment volumes on the real Docker engine and Caddy: a volume declared with `env set
 * --volume` is created labelled by Slipway under its derived name and mounted into every
 * replica; a file written into it is seen by the replicas of a config-change release, of a
 * rollback, and after the volume was unmounted and a rollback brought it back; `env delete`
 * keeps the volume, `--drop-volumes` deletes it; hostile input is refused and stores nothing. A
 * release step that names the volume (`volumes: [data]` in slipway.yaml) writes into it before
 * the switch and the new release reads what it wrote; a pipeline job reads what the app wrote; a
 * job naming a volume the environment does not declare fails before it starts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/api.js';
import { cleanup, tempDir } from '../support/server-process.js';
import { deployWorld, removeWorkspaceVolumes, viaProxy, type DeployWorld } from '../support/deploy.js';

let w: DeployWorld;
const env = (e: string) => ['-w', w.ws, '-p', 'shop', '-e', e];
const settingsPath = (e: string) => `/api/v1/workspaces/${w.ws}/projects/shop/environments/${e}/settings`;

interface Volume {
  name: string;
  path: string;
  volume: string;
}
interface Release {
  number: number;
  status: string;
  trigger: string;
  volumes: Array<{ name: string; path: string }>;
}

beforeAll(async () => {
  w = await deployWorld({ workspace: 'vols' });
  for (const name of ['files', 'scratch']) {
    const r = await w.run(['env', 'create', name, '-w', w.ws, '-p', 'shop', '--json']);
    expect(r.code, r.stderr).toBe(0);
  }
}, 300_000);

afterAll(async () => {
  await w?.dispose();
  if (w) await removeWorkspaceVolumes(w);
  await cleanup();
});

/** The running containers of an environment's release. */
async function replicas(e: string, release: number): Promise<string[]> {
  const out = await w.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', `label=io.slipway.environment=${e}`, '--filter', `label=io.slipway.release=${release}`]);
  return out.split('\n').filter(Boolean);
}

async function releases(e: string): Promise<Release[]> {
  const r = await w.run(['releases', ...env(e), '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.json<{ releases: Release[] }>().releases;
}

async function ok(args: string[]): Promise<string> {
  const r = await w.run(args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

const volumeExists = async (name: string) => (await w.docker(['volume', 'ls', '-q', '--filter', `name=^${name}$`])).trim() === name;

describe('environment volumes', () => {
  let data = '';

  it('refuses hostile volumes with SLW_INVALID_VOLUME, in the CLI and the API, and stores nothing', async () => {
    for (const flag of ['data:/', 'data:/proc/self', 'Data:/x', 'data:/a/../b', 'data:relative', 'data', '../x:/data', 'data:/data:ro', 'data:/etc']) {
      const r = await w.run(['env', 'set', ...env('files'), '--volume', flag, '--json']);
      expect(r.code, flag).toBe(1);
      expect(r.json<{ error: { code: string } }>().error.code, flag).toBe('SLW_INVALID_VOLUME');
    }
    const api = apiClient(w.server.url, w.server.adminToken);
    const bodies: unknown[] = [
      { volumes: { '../../etc': '/data' } },
      { volumes: { data: '/sys/kernel' } },
      { volumes: { data: '/srv/../../etc' } },
      { volumes: { data: '/a', other: '/a/' } },
      { volumes: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`v${i}`, `/v${i}`])) },
      // A good port with a bad volume: the whole change is refused.
      { port: 9090, volumes: { data: '/dev/shm' } },
    ];
    for (const body of bodies) {
      const r = await api.patch(settingsPath('files'), body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect((r.json as { error: { code: string } }).error.code, JSON.stringify(body)).toBe('SLW_INVALID_VOLUME');
    }
    const typed = await api.patch(settingsPath('files'), { volumes: ['data:/data'] });
    expect(typed.status).toBe(400);
    expect((typed.json as { error: { code: string } }).error.code).toBe('SLW_VALIDATION');
    const shown = await w.run(['env', 'show', ...env('files'), '--json']);
    expect(shown.json<{ volumes: Volume[]; port: number }>()).toMatchObject({ volumes: [], port: 8080 });
  });

  it('declares a volume, with a Docker name Slipway derives; a spread placement is refused for it', async () => {
    const set = await w.run(['env', 'set', ...env('files'), '--volume', 'data:/var/lib/app', '--strategy', 'recreate', '--json']);
    expect(set.code, set.stderr).toBe(0);
    const volumes = set.json<{ volumes: Volume[] }>().volumes;
    expect(volumes).toHaveLength(1);
    expect(volumes[0]).toMatchObject({ name: 'data', path: '/var/lib/app' });
    data = volumes[0]!.volume;
    expect(data).toMatch(/^slw-env_[0-9a-f_]+-data$/);
    expect(await ok(['env', 'show', ...env('files')])).toContain(`data at /var/lib/app (Docker volume ${data})`);
    const spread = await w.run(['env', 'set', ...env('files'), '--servers', 'one,two', '--json']);
    expect(spread.code).toBe(1);
    expect(spread.json<{ error: { code: string } }>().error.code).toBe('SLW_VOLUMES_SPREAD');
  });

  it('mounts it into the replicas of every release: a file written there is seen after a config change and a rollback', async () => {
    await ok(['deploy', ...env('files'), '--version', '1.0.0', '--json']);
    expect((await viaProxy(w.proxyPort, `files.shop.${w.ws}.localhost`)).status).toBe(200);
    const labels = JSON.parse(await w.docker(['volume', 'inspect', data, '--format', '{{json .Labels}}'])) as Record<string, string>;
    expect(labels).toMatchObject({ 'io.slipway.managed': 'true', 'io.slipway.workspace': w.ws, 'io.slipway.project': 'shop', 'io.slipway.environment': 'files', 'io.slipway.volume': 'data' });
    const [first] = await replicas('files', 1);
    expect(first).toBeDefined();
    await w.docker(['exec', first!, 'sh', '-c', 'echo kept across releases > /var/lib/app/note']);

    const set = await w.run(['config', 'set', 'GREETING=second', ...env('files'), '--json']);
    expect(set.code, set.stderr).toBe(0);
    const { deployment } = set.json<{ deployment: { id: string; releaseNumber: number } }>();
    expect(deployment.releaseNumber).toBe(2);
    const logs = await w.run(['logs', deployment.id, '-w', w.ws, '--follow', '--json']);
    expect(logs.json<{ end: { status: string } }>().end.status).toBe('succeeded');
    const [second] = await replicas('files', 2);
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect((await w.docker(['exec', second!, '/bin/busybox', 'cat', '/var/lib/app/note'])).trim()).toBe('kept across releases');
    await w.docker(['exec', second!, 'sh', '-c', 'echo written by release 2 >> /var/lib/app/note']);

    await ok(['rollback', ...env('files'), '--to', '1', '--json']);
    const [third] = await replicas('files', 3);
    expect(third).toBeDefined();
    expect((await w.docker(['exec', third!, '/bin/busybox', 'cat', '/var/lib/app/note'])).trim()).toBe('kept across releases\nwritten by release 2');
    expect((await releases('files')).map((r) => [r.number, r.trigger, r.volumes])).toEqual([
      [3, 'rollback', [{ name: 'data', path: '/var/lib/app' }]],
      [2, 'config-change', [{ name: 'data', path: '/var/lib/app' }]],
      [1, 'deploy', [{ name: 'data', path: '/var/lib/app' }]],
    ]);
  }, 300_000);

  it('a removed volume is unmounted at the next release and keeps its data; a rollback to a release that had it mounts it again', async () => {
    const set = await w.run(['env', 'set', ...env('files'), '--remove-volume', 'data', '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.json<{ volumes: Volume[] }>().volumes).toEqual([]);
    await ok(['deploy', ...env('files'), '--version', '1.0.0', '--json']);
    const [fourth] = await replicas('files', 4);
    expect(fourth).toBeDefined();
    const mounts = JSON.parse(await w.docker(['inspect', fourth!, '--format', '{{json .Mounts}}'])) as unknown[];
    expect(mounts).toEqual([]);
    expect(await volumeExists(data)).toBe(true);

    await ok(['rollback', ...env('files'), '--to', '3', '--json']);
    const [fifth] = await replicas('files', 5);
    expect((await w.docker(['exec', fifth!, '/bin/busybox', 'cat', '/var/lib/app/note'])).trim()).toBe('kept across releases\nwritten by release 2');
  }, 300_000);

  it('env delete keeps the volume and its data; --drop-volumes deletes it', async () => {
    const kept = await w.run(['env', 'delete', 'files', '--confirm', 'files', '-w', w.ws, '-p', 'shop', '--json']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.json<{ volumes: { kept: string[]; dropped: string[] } }>().volumes).toEqual({ kept: [data], dropped: [] });
    expect(await volumeExists(data)).toBe(true);
    // Its containers stop (the target removes them after the answer); the volume stays.
    await expect.poll(() => replicas('files', 5), { timeout: 60_000, interval: 500 }).toEqual([]);
    expect(await volumeExists(data)).toBe(true);

    const set = await w.run(['env', 'set', ...env('scratch'), '--volume', 'cache:/srv/cache', '--json']);
    expect(set.code, set.stderr).toBe(0);
    const scratch = set.json<{ volumes: Volume[] }>().volumes[0]!.volume;
    expect(scratch).not.toBe(data);
    await ok(['deploy', ...env('scratch'), '--version', '1.0.0', '--json']);
    expect(await volumeExists(scratch)).toBe(true);
    const dropped = await w.run(['env', 'delete', 'scratch', '--confirm', 'scratch', '--drop-volumes', '-w', w.ws, '-p', 'shop']);
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(dropped.stdout).toContain(`its volumes were deleted: ${scratch}`);
    expect(await volumeExists(scratch)).toBe(false);
    expect(await volumeExists(data)).toBe(true);
  }, 300_000);

  // Last: the manifest's release step runs at every deploy of the project from here on.
  it('a release step mounts the volume it names: what it writes there before the switch, the new release reads; a pipeline job reads what the app wrote; a run naming an undeclared volume is refused', async () => {
    await ok(['env', 'create', 'mig', '-w', w.ws, '-p', 'shop', '--json']);
    await ok(['env', 'set', ...env('mig'), '--volume', 'data:/var/lib/app', '--json']);
    const yaml = join(tempDir('slipway-volume-jobs-'), 'slipway.yaml');
    writeFileSync(
      yaml,
      `release:
  jobs:
    - name: migrate
      image: $build
      command: echo "schema 2 of $GREETING" > /var/lib/app/schema && echo migrated
      volumes: [data]
pipelines:
  read:
    jobs:
      - name: read
        image: $build
        command: cat /var/lib/app/schema /var/lib/app/note
        volumes: [data]
  peek:
    jobs:
      - name: peek
        image: $build
        command: cat /var/lib/app/note && if touch /var/lib/app/peeked 2>/dev/null; then echo writable; else echo read-only; fi
        volumes: ["data:ro"]
  stray:
    jobs:
      - name: stray
        image: $build
        command: echo ran anyway
        volumes: [data, uploads]
`,
    );
    await ok(['pipeline', 'apply', yaml, '-w', w.ws, '-p', 'shop']);
    const shown = await w.run(['pipeline', 'show', '-w', w.ws, '-p', 'shop', '--json']);
    const manifest = shown.json<{ release: Array<{ name: string; volumes: string[] }>; pipelines: Array<{ name: string; jobs: Array<{ volumes: string[] }> }> }>();
    expect(manifest.release.map((j) => [j.name, j.volumes])).toEqual([['migrate', ['data']]]);
    expect(manifest.pipelines.map((p) => [p.name, p.jobs[0]!.volumes])).toEqual([['read', ['data']], ['peek', ['data:ro']], ['stray', ['data', 'uploads']]]);
    expect(await ok(['pipeline', 'show', '-w', w.ws, '-p', 'shop'])).toMatch(/^│ \(release\) +│ migrate +│ .*│ data +│$/m);

    await ok(['config', 'set', 'GREETING=mig', ...env('mig'), '--json']);
    const deployed = await w.run(['deploy', ...env('mig'), '--version', '1.0.0', '--json']);
    expect(deployed.code, deployed.stderr).toBe(0);
    const id = deployed.json<{ deployment: { id: string } }>().deployment.id;
    const events = (await w.run(['logs', id, '-w', w.ws, '--json'])).json<{ events: Array<{ step: string; message: string }> }>().events;
    expect(events).toContainEqual(expect.objectContaining({ step: 'release', message: '[migrate] migrated' }));
    const [replica] = (await w.run(['releases', ...env('mig'), '--json'])).json<{ releases: Release[] }>().releases.map((r) => r.number);
    const [app] = await replicas('mig', replica!);
    expect(app).toBeDefined();
    expect((await w.docker(['exec', app!, '/bin/busybox', 'cat', '/var/lib/app/schema'])).trim()).toBe('schema 2 of mig');
    await w.docker(['exec', app!, 'sh', '-c', 'echo written by the app > /var/lib/app/note']);

    const read = await w.run(['pipeline', 'run', 'read', ...env('mig'), '--follow', '--json']);
    expect(read.code, read.stderr).toBe(0);
    const lines = read.json<{ lines: Array<{ job: string; stream: string; line: string }> }>().lines;
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual(['schema 2 of mig', 'written by the app']);
    expect(lines).toContainEqual(expect.objectContaining({ stream: 'system', line: expect.stringContaining('volumes data at /var/lib/app') }));

    // Read-only: it reads what the app wrote and cannot write.
    const peek = await w.run(['pipeline', 'run', 'peek', ...env('mig'), '--follow', '--json']);
    expect(peek.code, peek.stderr).toBe(0);
    expect(peek.json<{ lines: Array<{ stream: string; line: string }> }>().lines.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual(['written by the app', 'read-only']);

    const stray = await w.run(['pipeline', 'run', 'stray', ...env('mig'), '--follow', '--json']);
    expect(stray.code).toBe(1);
    const refused = stray.json<{ error: { code: string; message: string } }>().error;
    expect(refused.code).toBe('SLW_INVALID_VOLUME');
    expect(refused.message).toBe(
      `volume 'uploads' is not declared by shop/mig (its volumes: data at /var/lib/app); declare it with 'slipway env set --volume uploads:/PATH -w ${w.ws} -p shop -e mig', or remove it from the volumes of job 'stray' in slipway.yaml; pipeline 'stray' was not run`,
    );
    expect(stray.stdout).not.toContain('ran anyway');
    expect((await w.run(['pipeline', 'runs', '-w', w.ws, '-p', 'shop', '--pipeline', 'stray', '--json'])).json<{ runs: unknown[] }>().runs).toEqual([]);
  }, 300_000);
});
