/**
 * Push checks for manifests: an OCI image manifest with a layer and with none, a manifest that
 * names a blob the repository lacks, and round trips of an OCI image index and a Docker schema 2
 * manifest, each served back with its own media type and the exact bytes pushed.
 *
 * @module
 */
import type { Reply } from './client.js';
import { expectHeader, expectOciError, expectStatus, expectThat, pushBlob, putManifest, type Check, type Context } from './check.js';
import { descriptorOf, dockerManifest, imageConfig, ociIndex, ociManifest, randomBlob, randomImage, type Descriptor, type Manifest } from './fixtures.js';

/** A 201 to a manifest PUT, with a Location and the manifest's digest. */
function expectStored(reply: Reply, manifest: Manifest, what: string): void {
  expectStatus(reply, 201, what);
  expectThat(reply.headers.get('location'), `${what}: 201 without a Location`);
  expectHeader(reply, 'docker-content-digest', manifest.digest, what);
}

/** GET by `reference` returns the exact bytes, the pushed media type and the digest. */
async function expectRoundTrip(ctx: Context, manifest: Manifest, reference: string, what: string): Promise<void> {
  const reply = await ctx.client.request('GET', `/v2/${ctx.ns}/manifests/${reference}`, { headers: { accept: manifest.mediaType } });
  expectStatus(reply, 200, `${what}: GET ${reference}`);
  expectHeader(reply, 'content-type', manifest.mediaType, `${what}: GET ${reference}`);
  expectHeader(reply, 'docker-content-digest', manifest.digest, `${what}: GET ${reference}`);
  expectThat(reply.body.equals(manifest.bytes), `${what}: GET ${reference} returned other bytes than those pushed`);
}

export const pushManifestChecks: Check[] = [
  {
    id: 'push.manifest',
    category: 'push',
    name: 'PUT of an OCI image manifest with a layer by tag: 201, Location, Docker-Content-Digest',
    async run(ctx) {
      const image = randomImage(4096);
      for (const b of [image.config, ...image.layers]) await pushBlob(ctx, b);
      const tag = `m${ctx.run}-layer`;
      expectStored(await putManifest(ctx, image.manifest, tag), image.manifest, `PUT /manifests/${tag}`);
      await expectRoundTrip(ctx, image.manifest, tag, 'image manifest');
    },
  },
  {
    id: 'push.manifest-no-layers',
    category: 'push',
    name: 'PUT of an OCI image manifest with zero layers: 201',
    async run(ctx) {
      const image = randomImage(0);
      await pushBlob(ctx, image.config);
      const tag = `m${ctx.run}-nolayers`;
      expectStored(await putManifest(ctx, image.manifest, tag), image.manifest, `PUT /manifests/${tag} (no layers)`);
      await expectRoundTrip(ctx, image.manifest, image.manifest.digest, 'manifest without layers');
    },
  },
  {
    id: 'push.manifest-by-digest',
    category: 'push',
    name: 'PUT of a manifest by its digest: 201, readable by digest',
    async run(ctx) {
      const image = randomImage(1024);
      for (const b of [image.config, ...image.layers]) await pushBlob(ctx, b);
      expectStored(await putManifest(ctx, image.manifest, image.manifest.digest), image.manifest, 'PUT /manifests/<digest>');
      await expectRoundTrip(ctx, image.manifest, image.manifest.digest, 'manifest pushed by digest');
    },
  },
  {
    id: 'push.manifest-blob-unknown',
    category: 'push',
    name: 'PUT of a manifest naming a blob the repository lacks: 400 MANIFEST_BLOB_UNKNOWN',
    async run(ctx) {
      const missing = randomBlob(512);
      const config = imageConfig([missing]);
      await pushBlob(ctx, config);
      const manifest = ociManifest(config, [missing]);
      const tag = `m${ctx.run}-dangling`;
      const reply = await putManifest(ctx, manifest, tag);
      expectStatus(reply, 400, 'PUT of a manifest whose layer was never pushed');
      expectOciError(reply, 'PUT of a manifest whose layer was never pushed', 'MANIFEST_BLOB_UNKNOWN');
      expectStatus(await ctx.client.request('HEAD', `/v2/${ctx.ns}/manifests/${tag}`), 404, 'the rejected manifest must not be tagged');
    },
  },
  {
    id: 'push.index',
    category: 'push',
    name: 'OCI image index: PUT 201, GET with its own media type and bytes',
    async run(ctx) {
      const children: Descriptor[] = [];
      for (const platform of [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux' }]) {
        const image = randomImage(1024);
        for (const b of [image.config, ...image.layers]) await pushBlob(ctx, b);
        const reply = await putManifest(ctx, image.manifest, image.manifest.digest);
        expectStatus(reply, 201, `PUT of the ${platform.architecture} child manifest`);
        children.push(descriptorOf(image.manifest, { platform }));
      }
      const index = ociIndex(children);
      const tag = `m${ctx.run}-index`;
      expectStored(await putManifest(ctx, index, tag), index, `PUT /manifests/${tag} (image index)`);
      await expectRoundTrip(ctx, index, tag, 'image index');
      await expectRoundTrip(ctx, index, index.digest, 'image index');
    },
  },
  {
    id: 'push.docker-manifest',
    category: 'push',
    name: 'Docker schema 2 manifest: PUT 201, GET with its own media type and bytes',
    async run(ctx) {
      const layer = randomBlob(2048);
      const config = imageConfig([layer]);
      for (const b of [config, layer]) await pushBlob(ctx, b);
      const manifest = dockerManifest(config, [layer]);
      const tag = `m${ctx.run}-docker`;
      expectStored(await putManifest(ctx, manifest, tag), manifest, `PUT /manifests/${tag} (Docker schema 2)`);
      await expectRoundTrip(ctx, manifest, tag, 'Docker schema 2 manifest');
    },
  },
];
