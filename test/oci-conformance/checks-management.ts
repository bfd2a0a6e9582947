/** Content management: deleting tags, manifests and blobs. */
import { blob, imageManifest, jsonBlob } from './fixtures.js';
import { expectThat, pushBlob, pushManifest, type Check, type Context } from './harness.js';

async function freshImage(ctx: Context, tag: string) {
  const config = jsonBlob({ architecture: 'amd64', os: 'linux', fresh: tag });
  await pushBlob(ctx, config);
  const m = imageManifest(config, [ctx.seed.layer]);
  expectThat((await pushManifest(ctx, m, tag)).status === 201, `image ${tag} pushed`);
  return m;
}

export const managementChecks: Check[] = [
  {
    category: 'management',
    name: 'DELETE of a tag: 202; the tag is gone, the manifest stays by digest',
    run: async (ctx) => {
      const tag = `del-tag-${ctx.run}`;
      const m = await freshImage(ctx, tag);
      const r = await ctx.client.request('DELETE', `/v2/${ctx.ns}/manifests/${tag}`);
      expectThat(r.status === 202, 'DELETE manifests/<tag> → 202', r);
      const tags = (await ctx.client.request('GET', `/v2/${ctx.ns}/tags/list`)).json<{ tags: string[] | null }>().tags ?? [];
      expectThat(!tags.includes(tag), 'the tag is no longer listed');
      expectThat((await ctx.client.request('GET', `/v2/${ctx.ns}/manifests/${tag}`)).status === 404, 'GET by the tag → 404');
      expectThat((await ctx.client.request('HEAD', `/v2/${ctx.ns}/manifests/${m.digest}`)).status === 200, 'the manifest by digest → 200');
    },
  },
  {
    category: 'management',
    name: 'DELETE of a manifest by digest: 202, then 404, and its tag is gone',
    run: async (ctx) => {
      const tag = `del-manifest-${ctx.run}`;
      const m = await freshImage(ctx, tag);
      const r = await ctx.client.request('DELETE', `/v2/${ctx.ns}/manifests/${m.digest}`);
      expectThat(r.status === 202, 'DELETE manifests/<digest> → 202', r);
      expectThat((await ctx.client.request('GET', `/v2/${ctx.ns}/manifests/${m.digest}`)).status === 404, 'GET by digest → 404');
      const tags = (await ctx.client.request('GET', `/v2/${ctx.ns}/tags/list`)).json<{ tags: string[] | null }>().tags ?? [];
      expectThat(!tags.includes(tag), 'its tag is no longer listed');
    },
  },
  {
    category: 'management',
    name: 'DELETE of a blob: 202, then 404',
    run: async (ctx) => {
      const b = blob(128);
      await pushBlob(ctx, b);
      const r = await ctx.client.request('DELETE', `/v2/${ctx.ns}/blobs/${b.digest}`);
      expectThat(r.status === 202, 'DELETE blobs/<digest> → 202', r);
      expectThat((await ctx.client.request('HEAD', `/v2/${ctx.ns}/blobs/${b.digest}`)).status === 404, 'HEAD → 404');
    },
  },
];
