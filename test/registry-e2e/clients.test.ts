/**
 * Real registry clients against a running Slipway: docker (login, push, pull, run), skopeo (copy
 * both ways), podman and buildah (push and pull, OCI and Docker formats). Digests round-trip:
 * what a client pushed is what the registry serves and what another client pulls.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { cleanup, tempDir } from '../support/server-process.js';
import { dockerClient, sh } from '../support/images.js';
import { basic } from '../support/oci-push.js';

let server: InProcessServer;
let host: string;
let work: string;
let docker: ReturnType<typeof dockerClient>;
let creds: string;
const localImages: string[] = [];

/** A small root filesystem tar: busybox and a marker file. */
function rootfs(marker: string): string {
  const dir = join(work, `rootfs-${marker}`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  writeFileSync(join(dir, 'bin', 'busybox'), readFileSync('/bin/busybox'), { mode: 0o755 });
  writeFileSync(join(dir, 'marker.txt'), `${marker}\n`);
  return dir;
}

async function manifestDigest(ref: string): Promise<{ digest: string; served: string | null }> {
  const raw = await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${host}/${ref}`]);
  const digest = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const [repo, tag] = ref.split(':');
  const res = await fetch(`${server.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { authorization: basic(server.adminToken), accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
  return { digest, served: res.headers.get('docker-content-digest') };
}

beforeAll(async () => {
  server = await startInProcessServer();
  host = new URL(server.url).host;
  creds = `ci:${server.adminToken}`;
  work = tempDir('slipway-clients-');
  mkdirSync(join(work, 'docker'));
  docker = dockerClient(join(work, 'docker'));
  await server.admin.post('/api/v1/workspaces', { name: 'acme', tier: 'high' });
  for (const name of ['app', 'copy', 'pod', 'bld']) await server.admin.post('/api/v1/workspaces/acme/projects', { name });
}, 120_000);

afterAll(async () => {
  for (const i of localImages) await docker(['rmi', '-f', i]).catch(() => undefined);
  await server?.close();
  await cleanup();
});

describe('real registry clients', () => {
  it('docker login, push, pull and run; skopeo copies it out and back', async () => {
    await docker(['login', host, '-u', 'ci', '--password-stdin'], server.adminToken);
    const dir = rootfs('docker');
    const tar = join(work, 'docker.tar');
    await sh('tar', ['-C', dir, '-cf', tar, '.']);
    const ref = `${host}/acme/app:v1`;
    localImages.push(ref);
    await docker(['import', tar, ref]);
    const pushed = await docker(['push', ref]);
    const pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1];
    expect(pushedDigest).toBeDefined();
    const { digest, served } = await manifestDigest('acme/app:v1');
    expect(digest).toBe(pushedDigest);
    expect(served).toBe(pushedDigest);

    await docker(['rmi', ref]);
    await docker(['pull', ref]);
    const repoDigests = JSON.parse(await docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', ref])) as string[];
    expect(repoDigests).toContain(`${host}/acme/app@${pushedDigest}`);
    expect((await docker(['run', '--rm', ref, '/bin/busybox', 'cat', '/marker.txt'])).trim()).toBe('docker');

    const out = join(work, 'skopeo-dir');
    await sh('skopeo', ['copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${ref}`, `dir:${out}`]);
    await sh('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', creds, `dir:${out}`, `docker://${host}/acme/copy:from-dir`]);
    expect((await manifestDigest('acme/copy:from-dir')).digest).toBe(pushedDigest);
    expect(createHash('sha256').update(readFileSync(join(out, 'manifest.json'))).digest('hex')).toBe(pushedDigest!.slice(7));
  }, 180_000);

  it('podman and buildah push (OCI and Docker formats) and pull with matching digests', async () => {
    const storage = ['--root', join(work, 'c-root'), '--runroot', join(work, 'c-run'), '--storage-driver', 'vfs'];
    const dir = rootfs('buildah');
    const ctr = (await sh('buildah', [...storage, 'from', 'scratch'])).trim();
    await sh('buildah', [...storage, 'copy', ctr, `${dir}/`, '/']);
    await sh('buildah', [...storage, 'config', '--cmd', '/bin/busybox cat /marker.txt', ctr]);
    await sh('buildah', [...storage, 'commit', '--timestamp', '0', ctr, 'localhost/slipway-test:built']);
    for (const format of ['oci', 'docker'] as const) {
      const digestFile = join(work, `digest-${format}`);
      await sh('buildah', [...storage, 'push', '--tls-verify=false', '--creds', creds, '--format', format, '--digestfile', digestFile, 'localhost/slipway-test:built', `docker://${host}/acme/bld:${format}`]);
      const pushed = readFileSync(digestFile, 'utf8').trim();
      const { digest, served } = await manifestDigest(`acme/bld:${format}`);
      expect({ format, digest, served }).toEqual({ format, digest: pushed, served: pushed });
    }
    const podman = ['podman', ...storage];
    await sh(podman[0]!, [...podman.slice(1), 'pull', '--tls-verify=false', '--creds', creds, `${host}/acme/bld:oci`]);
    const digestFile = join(work, 'digest-podman');
    await sh(podman[0]!, [...podman.slice(1), 'push', '--tls-verify=false', '--creds', creds, '--digestfile', digestFile, `${host}/acme/bld:oci`, `docker://${host}/acme/pod:v1`]);
    const pushed = readFileSync(digestFile, 'utf8').trim();
    expect((await manifestDigest('acme/pod:v1')).digest).toBe(pushed);
    // The pulled image records the registry's digest (its own Digest field keeps the local build's).
    const inspected = JSON.parse(await sh(podman[0]!, [...podman.slice(1), 'image', 'inspect', `${host}/acme/bld:oci`])) as Array<{ RepoDigests: string[] }>;
    expect(inspected[0]!.RepoDigests).toContain(`${host}/acme/bld@${(await manifestDigest('acme/bld:oci')).digest}`);
    await sh('buildah', [...storage, 'rm', ctr]).catch(() => undefined);
  }, 240_000);
});
