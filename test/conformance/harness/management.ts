/**
 * Content management checks: DELETE of a tag (the tag goes, the manifest stays by digest),
 * DELETE of a manifest by digest (gone, and its tag with it) and DELETE of a blob (gone). Each
 * deletes content it pushed itself, so the seed and the other checks' content stay.
 *
 * @module
 */
import { expectStatus, expectThat, listTags, pushBlob, pushImage, type Check } from './check.js';
import { randomBlob, randomImage } from './fixtures.js';

export const managementChecks: Check[] = [
  {
    id: 'management.delete-tag',
    category: 'management',
    name: 'DELETE of a tag: 202; the tag is gone from the list, the manifest stays pullable by digest',
    async run(ctx) {
      const image = randomImage(1024);
      const tag = `d${ctx.run}-tag`;
      await pushImage(ctx, [image.config, ...image.layers], image.manifest, tag);
      const del = await ctx.client.request('DELETE', `/v2/${ctx.ns}/manifests/${tag}`);
      expectStatus(del, 202, `DELETE /manifests/${tag}`);
      expectStatus(await ctx.client.request('HEAD', `/v2/${ctx.ns}/manifests/${tag}`), 404, 'HEAD of the deleted tag');
      const { tags } = await listTags(ctx);
      expectThat(!tags?.includes(tag), `the tags list still has ${tag}`);
      const get = await ctx.client.request('GET', `/v2/${ctx.ns}/manifests/${image.manifest.digest}`, { headers: { accept: image.manifest.mediaType } });
      expectStatus(get, 200, 'GET by digest of the manifest whose tag was deleted');
      expectThat(get.body.equals(image.manifest.bytes), 'GET by digest after the tag delete returned other bytes');
    },
  },
  {
    id: 'management.delete-manifest',
    category: 'management',
    name: 'DELETE of a manifest by digest: 202, then 404, and its tag is gone from the list',
    async run(ctx) {
      const image = randomImage(1024);
      const tag = `d${ctx.run}-manifest`;
      await pushImage(ctx, [image.config, ...image.layers], image.manifest, tag);
      const del = await ctx.client.request('DELETE', `/v2/${ctx.ns}/manifests/${image.manifest.digest}`);
      expectStatus(del, 202, 'DELETE /manifests/<digest>');
      const get = await ctx.client.request('GET', `/v2/${ctx.ns}/manifests/${image.manifest.digest}`, { headers: { accept: image.manifest.mediaType } });
      expectStatus(get, 404, 'GET of the deleted manifest');
      expectStatus(await ctx.client.request('HEAD', `/v2/${ctx.ns}/manifests/${tag}`), 404, 'HEAD of the tag of the deleted manifest');
      const { tags } = await listTags(ctx);
      expectThat(!tags?.includes(tag), `the tags list still has ${tag}, whose manifest was deleted`);
    },
  },
  {
    id: 'management.delete-blob',
    category: 'management',
    name: 'DELETE of a blob: 202, then HEAD and GET 404',
    async run(ctx) {
      const blob = randomBlob(2048);
      await pushBlob(ctx, blob);
      const del = await ctx.client.request('DELETE', `/v2/${ctx.ns}/blobs/${blob.digest}`);
      expectStatus(del, 202, 'DELETE /blobs/<digest>');
      expectStatus(await ctx.client.request('HEAD', `/v2/${ctx.ns}/blobs/${blob.digest}`), 404, 'HEAD of the deleted blob');
      expectStatus(await ctx.client.request('GET', `/v2/${ctx.ns}/blobs/${blob.digest}`), 404, 'GET of the deleted blob');
    },
  },
];
