/**
 * The client against a real registry: Debian's docker-registry 2.8 on a free loopback port,
 * filled with `skopeo copy` from OCI layouts written here (images made by Slipway's builder).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaTypes } from '../../core/oci.js';
import { buildImage, scratchBase } from '../../builder/build.js';
import { tarBytes } from '../../builder/test-support/fixtures.js';
import type { BuiltImage } from '../../builder/types.js';
import { OciClient } from './client.js';
import { EgressPolicy } from './egress.js';

/** The test registries listen on 127.0.0.1, which only an allow-list lets the client reach. */
const loopback = new EgressPolicy(['127.0.0.1']);
import { freePort, haveDockerRegistry, haveSkopeo, sha256, skopeoCopy, startDockerRegistry, writeOciLayout, type PeerRegistry } from './test-support/docker-registry.js';

async function drain(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const failure = async (p: Promise<unknown>): Promise<{ code: string; message: string }> =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: { code: string; message: string }) => e,
  );

describe.skipIf(!haveDockerRegistry || !haveSkopeo)('OciClient against docker-registry 2.8', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-client-'));
  let peer: PeerRegistry;
  let site: BuiltImage;
  let arm: { bytes: Buffer; digest: string };
  const client = new OciClient({ egress: loopback });

  beforeAll(async () => {
    peer = await startDockerRegistry();
    const artifact = join(dir, 'site.tar');
    writeFileSync(artifact, tarBytes([{ name: 'index.html', content: '<h1>base</h1>' }]));
    site = await buildImage({ artifactPath: artifact, version: '1', base: scratchBase(), workDir: join(dir, 'work') });
    const layer = site.newLayers[0];
    if (!layer) throw new Error('no layer');
    const armConfig = Buffer.from(JSON.stringify({ architecture: 'arm64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [layer.diffId] } }));
    const armManifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociManifest,
        config: { mediaType: mediaTypes.ociConfig, digest: sha256(armConfig), size: armConfig.length },
        layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
      }),
    );
    arm = { bytes: armManifest, digest: sha256(armManifest) };
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mediaTypes.ociIndex,
        manifests: [
          { mediaType: mediaTypes.ociManifest, digest: arm.digest, size: armManifest.length, platform: { architecture: 'arm64', os: 'linux' } },
          { mediaType: mediaTypes.ociManifest, digest: site.manifest.digest, size: site.manifest.bytes.length, platform: { architecture: 'amd64', os: 'linux' } },
        ],
      }),
    );
    const layout = join(dir, 'layout');
    writeOciLayout(layout, [readFileSync(layer.file), site.config.bytes, armConfig, site.manifest.bytes, armManifest], [
      { tag: 'v1', mediaType: mediaTypes.ociManifest, bytes: site.manifest.bytes },
      { tag: 'multi', mediaType: mediaTypes.ociIndex, bytes: index },
    ]);
    skopeoCopy(`oci:${layout}:v1`, `docker://${peer.host}/t1/app:v1`);
    skopeoCopy(`oci:${layout}:multi`, `docker://${peer.host}/t1/multi:v1`, ['--all']);
    skopeoCopy(`oci:${layout}:v1`, `docker://${peer.host}/t1/docker:v1`, ['--format', 'v2s2']);
  }, 60_000);

  afterAll(async () => {
    await peer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pulls a base: manifest, config and layers, digests as pushed', async () => {
    const base = await client.pullBase(`${peer.host}/t1/app:v1`);
    expect(base.reference).toBe(`${peer.host}/t1/app:v1`);
    expect(base.manifestDigest).toBe(site.manifest.digest);
    expect(base.family).toBe('oci');
    expect(base.config).toEqual(JSON.parse(site.config.bytes.toString()));
    expect(base.layers).toEqual(site.newLayers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })));
  });

  it('gets a manifest by digest and streams a verified blob', async () => {
    const m = await client.getManifest(`${peer.host}/t1/app@${site.manifest.digest}`, [mediaTypes.ociManifest]);
    expect(m.bytes.equals(site.manifest.bytes)).toBe(true);
    expect(m.mediaType).toBe(mediaTypes.ociManifest);
    const layer = site.newLayers[0];
    if (!layer) throw new Error('no layer');
    const blob = await client.getBlob(peer.host, 't1/app', layer.digest);
    expect(blob.size).toBe(layer.size);
    expect((await drain(blob.stream)).equals(readFileSync(layer.file))).toBe(true);
  });

  it('resolves an index to linux/amd64, or to the platform asked for', async () => {
    const raw = await client.getManifest(`${peer.host}/t1/multi:v1`, [mediaTypes.ociManifest, mediaTypes.ociIndex]);
    expect(raw.mediaType).toBe(mediaTypes.ociIndex);
    const resolved = await client.getManifest(`${peer.host}/t1/multi:v1`, [mediaTypes.ociManifest], { resolvePlatform: true });
    expect(resolved).toMatchObject({ digest: site.manifest.digest, indexDigest: raw.digest });
    expect((await client.pullBase(`${peer.host}/t1/multi:v1`)).manifestDigest).toBe(site.manifest.digest);
    expect((await client.pullBase(`${peer.host}/t1/multi:v1`, { os: 'linux', architecture: 'arm64' })).manifestDigest).toBe(arm.digest);
    const none = await failure(client.pullBase(`${peer.host}/t1/multi:v1`, { os: 'linux', architecture: 's390x' }));
    expect(none).toMatchObject({ code: 'SLW_BASE_IMAGE_UNAVAILABLE', message: expect.stringMatching(/no linux\/s390x image/) });
  });

  it('keeps the Docker family of a Docker schema 2 base', async () => {
    const base = await client.pullBase(`${peer.host}/t1/docker:v1`);
    expect(base.family).toBe('docker');
    expect(base.layers[0]?.mediaType).toBe(mediaTypes.dockerLayerGzip);
  });

  it('builds on a pulled base; a real registry accepts the result with the same digest', async () => {
    const base = await client.pullBase(`${peer.host}/t1/app:v1`);
    const artifact = join(dir, 'node.tar');
    writeFileSync(artifact, tarBytes([{ name: 'package.json', content: '{"scripts":{"start":"node a.js"}}' }, { name: 'a.js', content: '1' }]));
    const image = await buildImage({ artifactPath: artifact, version: '2', base, workDir: join(dir, 'work2') });
    const baseBlobs = await Promise.all(base.layers.map(async (l) => drain((await client.getBlob(peer.host, 't1/app', l.digest)).stream)));
    const layout = join(dir, 'layout2');
    writeOciLayout(layout, [...baseBlobs, ...image.newLayers.map((l) => readFileSync(l.file)), image.config.bytes], [{ tag: 'v2', mediaType: image.manifest.mediaType, bytes: image.manifest.bytes }]);
    skopeoCopy(`oci:${layout}:v2`, `docker://${peer.host}/t2/app:v2`);
    const back = await client.getManifest(`${peer.host}/t2/app:v2`, [mediaTypes.ociManifest]);
    expect(back.digest).toBe(image.manifest.digest);
  });

  it('says clearly what is missing or unreachable, naming the reference', async () => {
    const tag = await failure(client.pullBase(`${peer.host}/t1/app:nope`));
    expect(tag.code).toBe('SLW_BASE_IMAGE_UNAVAILABLE');
    expect(tag.message).toContain(`${peer.host}/t1/app:nope was not found on ${peer.host} (404: MANIFEST_UNKNOWN`);
    const repo = await failure(client.pullBase(`${peer.host}/nobody/here:1`));
    expect(repo.code).toBe('SLW_BASE_IMAGE_UNAVAILABLE');
    const blob = await failure(client.getBlob(peer.host, 't1/app', `sha256:${'0'.repeat(64)}`));
    expect(blob.message).toMatch(/was not found/);
    const port = await freePort();
    const closed = await failure(new OciClient({ egress: loopback }).pullBase(`127.0.0.1:${port}/t1/app:v1`));
    expect(closed.code).toBe('SLW_BASE_IMAGE_UNAVAILABLE');
    expect(closed.message).toBe(`cannot reach registry 127.0.0.1:${port} for 127.0.0.1:${port}/t1/app:v1 (ECONNREFUSED); check the reference and that the registry is reachable`);
    const chosen = await failure(new OciClient({ egress: loopback, unavailableCode: 'SLW_UPSTREAM_REGISTRY' }).pullBase(`${peer.host}/t1/app:nope`));
    expect(chosen.code).toBe('SLW_UPSTREAM_REGISTRY');
  });
});
