/**
 * The real registry clients against a real `slipway server` process: docker (login with
 * --password-stdin, push, remove, pull, run), skopeo (to the registry from the Docker engine,
 * out to a `dir:` and back under a new tag), podman (import, push, pull into other storage) and
 * buildah (from scratch, commit, push as OCI and as Docker schema 2). Every time, the digest the
 * client reports equals `skopeo inspect --raw | sha256sum`, the registry's
 * `Docker-Content-Digest` for GET manifest and the sha256 of the bytes it serves, and a pulled
 * copy keeps that digest.
 *
 * podman and buildah use vfs storage in temp dirs; docker its own config dir; local docker
 * images are removed in afterAll.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  buildah,
  containersStorage,
  createToken,
  createWorkspace,
  dockerClient,
  makeRootfs,
  makeRootfsTar,
  manifestAccept,
  podman,
  registryCall,
  removeDockerImages,
  sha256,
  skopeo,
  skopeoRawDigest,
  trackDockerImage,
  uniqueName,
  type DockerClient,
} from '../support/registry-clients.js';
import { cleanup, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
/** `127.0.0.1:PORT` of the registry. */
let host: string;
/** A developer token of workspace `ws`, and skopeo/podman/buildah `--creds` with it. */
let token: string;
let creds: string;
let work: string;
let docker: DockerClient;

const digestPattern = /^sha256:[0-9a-f]{64}$/;

/** What the registry says about `repo:tag`: served digest header, digest of the served bytes, media type. */
async function served(repo: string, tag: string): Promise<{ header: string | null; body: string; mediaType: string | null; raw: string }> {
  const res = await registryCall(server.url, { path: `/v2/${repo}/manifests/${tag}`, auth: basic(token), headers: { accept: manifestAccept } });
  expect(res.status).toBe(200);
  return { header: res.headers.get('docker-content-digest'), body: sha256(res.text), mediaType: res.headers.get('content-type'), raw: await skopeoRawDigest(`${host}/${repo}:${tag}`, creds) };
}

/** Asserts that every way of reading `repo:tag`'s digest gives `pushed`. */
async function expectRoundTrip(repo: string, tag: string, pushed: string): Promise<string | null> {
  expect(pushed).toMatch(digestPattern);
  const s = await served(repo, tag);
  expect({ header: s.header, body: s.body, raw: s.raw }).toEqual({ header: pushed, body: pushed, raw: pushed });
  return s.mediaType;
}

beforeAll(async () => {
  server = await startServerProcess();
  host = new URL(server.url).host;
  await createWorkspace(server.url, server.adminToken, 'ws', ['proj', 'copy', 'pod', 'bld']);
  token = await createToken(server.url, server.adminToken, 'ws', 'developer');
  creds = `x:${token}`;
  work = tempDir('slipway-registry-clients-');
  docker = dockerClient(join(work, 'docker-config'));
});

afterAll(async () => {
  await removeDockerImages();
  await server?.stop().catch(() => undefined);
  await cleanup();
});

describe('real registry clients against slipway server', () => {
  it('docker logs in with --password-stdin, pushes, pulls back the same digest and runs the image', async () => {
    await docker.login(host, token);
    const marker = uniqueName('docker-marker');
    const tar = await makeRootfsTar(work, marker);
    const ref = trackDockerImage(`${host}/ws/proj:v1`);
    await docker.run(['import', tar, ref]);

    const pushOut = await docker.run(['push', ref]);
    const pushed = /v1: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(pushOut)?.[1] ?? `no digest in: ${pushOut}`;
    expect(await expectRoundTrip('ws/proj', 'v1', pushed)).toBe('application/vnd.docker.distribution.manifest.v2+json');

    await docker.run(['rmi', ref]);
    expect((await docker.attempt(['image', 'inspect', ref])).code).not.toBe(0);
    const pullOut = await docker.run(['pull', ref]);
    expect(/Digest: (sha256:[0-9a-f]{64})/.exec(pullOut)?.[1]).toBe(pushed);
    const repoDigests = JSON.parse(await docker.run(['image', 'inspect', '--format', '{{json .RepoDigests}}', ref])) as string[];
    expect(repoDigests).toContain(`${host}/ws/proj@${pushed}`);

    const printed = await docker.run(['run', '--rm', '--network', 'none', ref, '/bin/busybox', 'cat', '/marker.txt']);
    expect(printed).toBe(`${marker}\n`);
  }, 120_000);

  it('docker push into a project that does not exist yet says so, and how to create it', async () => {
    await docker.login(host, token);
    const ref = trackDockerImage(`${host}/ws/base:node`);
    await docker.run(['import', await makeRootfsTar(work, uniqueName('no-project')), ref]);
    const refused = await docker.attempt(['push', ref]);
    expect(refused.code).not.toBe(0);
    const said = `${refused.stdout}${refused.stderr}`;
    expect(said).toContain('project base does not exist in workspace ws');
    expect(said).toContain('slipway project create base -w ws');
  }, 120_000);

  it('skopeo copies to the registry, out to dir: and back to a new tag with the same digest', async () => {
    const marker = uniqueName('skopeo-marker');
    const local = trackDockerImage(`slipway-test/${uniqueName('skopeo')}:src`);
    await docker.run(['import', await makeRootfsTar(work, marker), local]);

    const firstDigestFile = join(work, 'skopeo-push.digest');
    await skopeo(['copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', creds, '--digestfile', firstDigestFile, `docker-daemon:${local}`, `docker://${host}/ws/copy:src`]);
    const pushed = readFileSync(firstDigestFile, 'utf8').trim();
    await expectRoundTrip('ws/copy', 'src', pushed);

    const out = join(work, 'skopeo-dir');
    await skopeo(['copy', '--quiet', '--src-tls-verify=false', '--src-creds', creds, `docker://${host}/ws/copy:src`, `dir:${out}`]);
    expect(sha256(readFileSync(join(out, 'manifest.json')))).toBe(pushed);

    const backDigestFile = join(work, 'skopeo-back.digest');
    await skopeo(['copy', '--quiet', '--dest-tls-verify=false', '--dest-creds', creds, '--digestfile', backDigestFile, `dir:${out}`, `docker://${host}/ws/copy:from-dir`]);
    expect(readFileSync(backDigestFile, 'utf8').trim()).toBe(pushed);
    await expectRoundTrip('ws/copy', 'from-dir', pushed);

    const tags = await registryCall(server.url, { path: '/v2/ws/copy/tags/list', auth: basic(token) });
    expect(tags.json).toEqual({ name: 'ws/copy', tags: ['from-dir', 'src'] });
  }, 120_000);

  it('podman pushes an imported image and pulls it into other storage with the same digest', async () => {
    const marker = uniqueName('podman-marker');
    const own = containersStorage(tempDir('slipway-podman-push-'));
    const ref = `${host}/ws/pod:v1`;
    await podman(own, ['import', await makeRootfsTar(work, marker), ref]);
    const digestFile = join(work, 'podman-push.digest');
    await podman(own, ['push', '--quiet', '--tls-verify=false', '--creds', creds, '--digestfile', digestFile, ref]);
    const pushed = readFileSync(digestFile, 'utf8').trim();
    await expectRoundTrip('ws/pod', 'v1', pushed);

    const other = containersStorage(tempDir('slipway-podman-pull-'));
    await podman(other, ['pull', '--quiet', '--tls-verify=false', '--creds', creds, ref]);
    expect((await podman(other, ['image', 'inspect', '--format', '{{.Digest}}', ref])).trim()).toBe(pushed);
    const repoDigests = JSON.parse(await podman(other, ['image', 'inspect', '--format', '{{json .RepoDigests}}', ref])) as string[];
    expect(repoDigests).toContain(`${host}/ws/pod@${pushed}`);
  }, 120_000);

  it('buildah builds from scratch and pushes as OCI and as Docker; pulled copies keep the digests', async () => {
    const marker = uniqueName('buildah-marker');
    const storage = containersStorage(tempDir('slipway-buildah-'));
    const ctr = (await buildah(storage, ['from', '--quiet', 'scratch'])).trim();
    await buildah(storage, ['copy', '--quiet', ctr, `${makeRootfs(work, marker)}/`, '/']);
    await buildah(storage, ['config', '--cmd', '/bin/busybox cat /marker.txt', ctr]);
    const local = `localhost/${uniqueName('slipway-buildah')}:built`;
    await buildah(storage, ['commit', '--quiet', ctr, local]);
    await buildah(storage, ['rm', ctr]);

    const expectedType = { oci: 'application/vnd.oci.image.manifest.v1+json', docker: 'application/vnd.docker.distribution.manifest.v2+json' };
    const pushed: Record<'oci' | 'docker', string> = { oci: '', docker: '' };
    for (const format of ['oci', 'docker'] as const) {
      const digestFile = join(work, `buildah-${format}.digest`);
      await buildah(storage, ['push', '--quiet', '--tls-verify=false', '--creds', creds, '--format', format, '--digestfile', digestFile, local, `docker://${host}/ws/bld:${format}`]);
      pushed[format] = readFileSync(digestFile, 'utf8').trim();
      expect({ format, mediaType: await expectRoundTrip('ws/bld', format, pushed[format]) }).toEqual({ format, mediaType: expectedType[format] });
    }
    expect(pushed.oci).not.toBe(pushed.docker);

    for (const format of ['oci', 'docker'] as const) {
      // One storage per format: both have the same config, so one storage would hold one image
      // whose Digest is whichever was pulled first.
      const other = containersStorage(tempDir(`slipway-buildah-pull-${format}-`));
      const ref = `${host}/ws/bld:${format}`;
      await podman(other, ['pull', '--quiet', '--tls-verify=false', '--creds', creds, ref]);
      expect({ format, digest: (await podman(other, ['image', 'inspect', '--format', '{{.Digest}}', ref])).trim() }).toEqual({ format, digest: pushed[format] });
    }

    // The Docker engine pulls and runs what buildah pushed (docker is logged in from the first test, or logs in now).
    await docker.login(host, token);
    const dockerRef = trackDockerImage(`${host}/ws/bld:docker`);
    const pullOut = await docker.run(['pull', dockerRef]);
    expect(/Digest: (sha256:[0-9a-f]{64})/.exec(pullOut)?.[1]).toBe(pushed.docker);
    expect(await docker.run(['run', '--rm', '--network', 'none', dockerRef])).toBe(`${marker}\n`);
  }, 150_000);
});
