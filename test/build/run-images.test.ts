/**
 * `slipway build` end to end, on the real Docker engine: a JAR compiled here from Java source and
 * a static site are built (no Docker involved) onto base images pushed with docker into
 * Slipway's registry; `docker pull` from Slipway and `docker run` serve HTTP. Building the same
 * JAR twice gives the same digest and stores nothing new.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { cli, tempDir, cleanup } from '../support/server-process.js';
import { buildJar, buildSite, dockerClient, pushBase, waitForHttp } from '../support/images.js';

let server: InProcessServer;
let host: string;
let docker: ReturnType<typeof dockerClient>;
let work: string;
const containers: string[] = [];
const images: string[] = [];

interface Built {
  digest: string;
  tags: string[];
  runtime: string;
  newBlobs: number;
  steps: { name: string }[];
}

beforeAll(async () => {
  server = await startInProcessServer();
  host = new URL(server.url).host;
  work = tempDir('slipway-build-');
  const config = join(work, 'docker');
  mkdirSync(config);
  docker = dockerClient(config);
  for (const [method, path, body] of [
    ['POST', '/api/v1/workspaces', { name: 'acme', tier: 'high' }],
    ['POST', '/api/v1/workspaces/acme/projects', { name: 'base' }],
    ['POST', '/api/v1/workspaces/acme/projects', { name: 'shop' }],
    ['POST', '/api/v1/workspaces/acme/projects', { name: 'site' }],
    ['POST', '/api/v1/workspaces/acme/projects', { name: 'shop-copy' }],
  ] as const) {
    expect((await server.admin.call({ method, path, body })).status).toBe(201);
  }
  await docker(['login', host, '-u', 'ci', '--password-stdin'], server.adminToken);
  for (const kind of ['java', 'static'] as const) {
    const ref = `${host}/acme/base:${kind}`;
    images.push(ref);
    await pushBase(docker, kind, ref);
  }
}, 300_000);

afterAll(async () => {
  for (const c of containers) await docker(['rm', '-f', c]).catch(() => undefined);
  for (const i of images) await docker(['rmi', '-f', i]).catch(() => undefined);
  await server?.close();
  await cleanup();
});

async function slipwayBuild(artifact: string, project: string, version: string, base: string): Promise<Built> {
  const r = await cli(['build', artifact, '-w', 'acme', '-p', project, '--version', version, '--base', base, '--json'], { server: server.url, token: server.adminToken });
  expect(r.code, r.stderr).toBe(0);
  return r.json<Built>();
}

async function runAndGet(ref: string, env: string[]): Promise<string> {
  images.push(ref);
  await docker(['pull', ref]);
  const id = (await docker(['run', '-d', '-p', '127.0.0.1::8080', ...env.flatMap((e) => ['-e', e]), ref])).trim();
  containers.push(id);
  const port = (await docker(['port', id, '8080/tcp'])).trim().split('\n')[0]!.split(':').pop();
  return waitForHttp(`http://127.0.0.1:${port}/`);
}

describe('slipway build on the Docker engine', () => {
  it('builds a JAR compiled from source into an image docker pulls and runs', async () => {
    const jar = await buildJar(join(work, 'jar'));
    const first = await slipwayBuild(jar, 'shop', '1.0.0', `${host}/acme/base:java`);
    expect(first.runtime).toBe('java');
    expect(first.tags).toEqual(['1.0.0', expect.stringMatching(/^src-[0-9a-f]{12}$/)]);
    expect(first.newBlobs).toBeGreaterThan(0);

    const again = await slipwayBuild(jar, 'shop', '1.0.0', `${host}/acme/base:java`);
    expect(again.digest).toBe(first.digest);
    expect(again.newBlobs).toBe(0);
    // A real second build (another project, so nothing is reused): the same bytes, so the same
    // digest; its blobs are new to that repository (newBlobs never says what other repositories hold).
    const rebuilt = await slipwayBuild(jar, 'shop-copy', '1.0.0', `${host}/acme/base:java`);
    expect(rebuilt.steps.map((s) => s.name)).toContain('layer app');
    expect(rebuilt.digest).toBe(first.digest);
    expect(rebuilt.newBlobs).toBe(first.newBlobs);

    const body = await runAndGet(`${host}/acme/shop:1.0.0`, ['GREETING=hi from prod']);
    expect(body).toBe('hi from prod | hello from a JAR\n');
    const inspect = JSON.parse(await docker(['image', 'inspect', `${host}/acme/shop:1.0.0`])) as Array<{ RepoDigests: string[]; Config: { Labels: Record<string, string> } }>;
    expect(inspect[0]!.RepoDigests).toContain(`${host}/acme/shop@${first.digest}`);
    expect(inspect[0]!.Config.Labels['org.opencontainers.image.version']).toBe('1.0.0');
  }, 300_000);

  it('builds a static site served by the base image web server', async () => {
    const site = await buildSite(join(work, 'site'), 'Slipway static site');
    const built = await slipwayBuild(site, 'site', '2026.11.23', `${host}/acme/base:static`);
    expect(built.runtime).toBe('static');
    const body = await runAndGet(`${host}/acme/site:2026.11.23`, []);
    expect(body).toContain('<h1>Slipway static site</h1>');
  }, 300_000);
});
