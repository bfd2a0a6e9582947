/** Content discovery: tag listing with pagination, and the referrers API. */
import { jsonBlob, imageManifest, types } from './fixtures.js';
import { expectThat, pushBlob, pushManifest, type Check, type Context } from './harness.js';

/** Pushes the seed manifest under extra tags `t-<run>-a` … `t-<run>-e`; returns them sorted. */
async function tagFive(ctx: Context): Promise<string[]> {
  const tags = ['a', 'b', 'c', 'd', 'e'].map((s) => `t-${ctx.run}-${s}`);
  for (const t of tags) expectThat((await pushManifest(ctx, ctx.seed.manifest, t)).status === 201, `tag ${t} pushed`);
  return tags;
}

async function tagList(ctx: Context, query = ''): Promise<{ tags: string[]; link: string | null; status: number }> {
  const r = await ctx.client.request('GET', `/v2/${ctx.ns}/tags/list${query}`);
  const tags = r.status === 200 ? (r.json<{ tags: string[] | null }>().tags ?? []) : [];
  return { tags, link: r.headers.get('link'), status: r.status };
}

/** An artifact manifest whose subject is the seed image. */
async function pushReferrer(ctx: Context, artifactType: string, name: string): Promise<string> {
  const empty = jsonBlob({});
  await pushBlob(ctx, empty);
  const m = imageManifest(empty, [], {
    artifactType,
    subject: { mediaType: ctx.seed.manifest.mediaType, digest: ctx.seed.manifest.digest, size: ctx.seed.manifest.bytes.length },
    annotations: { 'org.example.name': name },
  });
  const r = await pushManifest(ctx, m, m.digest);
  expectThat(r.status === 201, `referrer ${name} pushed`, r);
  return m.digest;
}

export const discoveryChecks: Check[] = [
  {
    category: 'discovery',
    name: 'tags list names every tag, in order',
    run: async (ctx) => {
      const tags = await tagFive(ctx);
      const list = await tagList(ctx);
      expectThat(list.status === 200, 'GET tags/list → 200');
      const ours = list.tags.filter((t) => t.startsWith(`t-${ctx.run}-`));
      expectThat(JSON.stringify(ours) === JSON.stringify(tags), `the five tags in order (got ${JSON.stringify(ours)})`);
      expectThat(JSON.stringify(list.tags) === JSON.stringify([...list.tags].sort()), 'the whole list is sorted');
    },
  },
  {
    category: 'discovery',
    name: 'tags list with n returns at most n and a Link to the rest',
    run: async (ctx) => {
      await tagFive(ctx);
      const all = (await tagList(ctx)).tags;
      const page = await tagList(ctx, '?n=2');
      expectThat(page.tags.length === 2 && JSON.stringify(page.tags) === JSON.stringify(all.slice(0, 2)), `n=2 → the first two tags (got ${JSON.stringify(page.tags)})`);
      expectThat(page.link !== null && /rel="next"/.test(page.link), `a Link header with rel="next" (got ${page.link})`);
    },
  },
  {
    category: 'discovery',
    name: 'tags list with last returns the tags after it',
    run: async (ctx) => {
      const tags = await tagFive(ctx);
      const all = (await tagList(ctx)).tags;
      const after = await tagList(ctx, `?last=${tags[1]}`);
      const expected = all.filter((t) => t > tags[1]!);
      expectThat(JSON.stringify(after.tags) === JSON.stringify(expected), `last=${tags[1]} → the tags after it (got ${JSON.stringify(after.tags.slice(0, 6))}…)`);
    },
  },
  {
    category: 'discovery',
    name: 'tags list with n=0 is empty',
    run: async (ctx) => {
      const page = await tagList(ctx, '?n=0');
      expectThat(page.status === 200 && page.tags.length === 0, `n=0 → 200 and no tags (got ${page.tags.length})`);
    },
  },
  {
    category: 'discovery',
    name: 'referrers of an unknown digest: 200 and an empty image index',
    run: async (ctx) => {
      const unknown = jsonBlob({ unknown: ctx.run }).digest;
      const r = await ctx.client.request('GET', `/v2/${ctx.ns}/referrers/${unknown}`);
      expectThat(r.status === 200, 'GET referrers → 200', r);
      expectThat((r.headers.get('content-type') ?? '').startsWith(types.ociIndex), `Content-Type ${types.ociIndex}`);
      expectThat(r.json<{ manifests: unknown[] }>().manifests.length === 0, 'no manifests');
    },
  },
  {
    category: 'discovery',
    name: 'referrers lists manifests whose subject is the image, with artifactType and annotations',
    run: async (ctx) => {
      const sig = await pushReferrer(ctx, 'application/vnd.example.signature', 'sig');
      const sbom = await pushReferrer(ctx, 'application/vnd.example.sbom', 'sbom');
      const r = await ctx.client.request('GET', `/v2/${ctx.ns}/referrers/${ctx.seed.manifest.digest}`);
      expectThat(r.status === 200, 'GET referrers → 200', r);
      const list = r.json<{ manifests: Array<{ digest: string; artifactType?: string; annotations?: Record<string, string> }> }>().manifests;
      for (const [digest, type, name] of [[sig, 'application/vnd.example.signature', 'sig'], [sbom, 'application/vnd.example.sbom', 'sbom']] as const) {
        const d = list.find((m) => m.digest === digest);
        expectThat(d?.artifactType === type && d.annotations?.['org.example.name'] === name, `${name} listed with its artifactType and annotations`);
      }
    },
  },
  {
    category: 'discovery',
    name: 'referrers filtered by artifactType, saying so in OCI-Filters-Applied',
    run: async (ctx) => {
      await pushReferrer(ctx, 'application/vnd.example.other', 'other');
      const r = await ctx.client.request('GET', `/v2/${ctx.ns}/referrers/${ctx.seed.manifest.digest}?artifactType=application/vnd.example.other`);
      expectThat(r.status === 200, 'GET referrers?artifactType → 200', r);
      const list = r.json<{ manifests: Array<{ artifactType?: string }> }>().manifests;
      expectThat(list.length > 0 && list.every((m) => m.artifactType === 'application/vnd.example.other'), 'only that artifact type');
      expectThat(r.headers.get('oci-filters-applied') === 'artifactType', 'OCI-Filters-Applied: artifactType');
    },
  },
  {
    category: 'discovery',
    name: 'a manifest whose subject does not exist is accepted, with OCI-Subject',
    run: async (ctx) => {
      const empty = jsonBlob({});
      await pushBlob(ctx, empty);
      const ghost = jsonBlob({ ghost: ctx.run });
      const m = imageManifest(empty, [], { artifactType: 'application/vnd.example.ghost', subject: { mediaType: types.ociManifest, digest: ghost.digest, size: ghost.bytes.length } });
      const r = await pushManifest(ctx, m, m.digest);
      expectThat(r.status === 201 && r.headers.get('oci-subject') === ghost.digest, 'PUT → 201 with OCI-Subject', r);
    },
  },
];
