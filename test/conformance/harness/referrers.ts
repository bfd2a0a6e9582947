/**
 * Content discovery checks for the referrers API: an unknown digest answers 200 with an empty
 * image index; manifests (and an index) whose `subject` is an image are listed with their
 * `artifactType` and annotations; the `artifactType` filter, announced by `OCI-Filters-Applied`;
 * a manifest whose subject does not exist is accepted, with `OCI-Subject`, and listed.
 *
 * @module
 */
import type { Reply } from './client.js';
import { describeReply, expectHeader, expectStatus, expectThat, pushBlob, pushImage, putManifest, type Check, type Context } from './check.js';
import { descriptorOf, emptyJson, mediaTypes, ociIndex, ociManifest, randomBlob, randomImage, unknownDigest, type Descriptor, type Manifest } from './fixtures.js';

const typeA = 'application/vnd.slipway.conformance.a';
const typeB = 'application/vnd.slipway.conformance.b';
const annotationKey = 'org.slipway.conformance.referrer';

interface Referrer {
  manifest: Manifest;
  artifactType: string;
  annotations: Record<string, string>;
  /** The OCI-Subject header of the PUT that stored it. */
  ociSubject: string | null;
}

interface Fixture {
  subject: Descriptor;
  referrers: Referrer[];
}

async function putReferrer(ctx: Context, manifest: Manifest, artifactType: string, annotations: Record<string, string>): Promise<Referrer> {
  const reply = await putManifest(ctx, manifest, manifest.digest);
  expectStatus(reply, 201, `PUT of a manifest with a subject (${artifactType})`);
  return { manifest, artifactType, annotations, ociSubject: reply.headers.get('oci-subject') };
}

/** An image, and three referrers of it: artifactType A, config media type B, an index of type A. */
function fixture(ctx: Context): Promise<Fixture> {
  return ctx.shared('referrers', async () => {
    const image = randomImage(1024);
    await pushImage(ctx, [image.config, ...image.layers], image.manifest, `r${ctx.run}-subject`);
    const subject = descriptorOf(image.manifest);
    await pushBlob(ctx, emptyJson);
    const notes = (name: string) => ({ [annotationKey]: `${name}-${ctx.run}` });
    const empty = { configMediaType: mediaTypes.ociEmpty, layerMediaType: mediaTypes.ociEmpty };
    const a = await putReferrer(ctx, ociManifest(emptyJson, [emptyJson], { ...empty, artifactType: typeA, subject, annotations: notes('a') }), typeA, notes('a'));
    const bConfig = randomBlob(64);
    await pushBlob(ctx, bConfig);
    const bManifest = ociManifest(bConfig, [emptyJson], { configMediaType: typeB, layerMediaType: mediaTypes.ociEmpty, subject, annotations: notes('b') });
    const b = await putReferrer(ctx, bManifest, typeB, notes('b'));
    const index = ociIndex([descriptorOf(a.manifest)], { artifactType: typeA, subject, annotations: notes('index') });
    const i = await putReferrer(ctx, index, typeA, notes('index'));
    return { subject, referrers: [a, b, i] };
  });
}

/** GET /referrers/<digest>, following Link pages; the descriptors. */
async function referrersOf(ctx: Context, digest: string, query = ''): Promise<{ first: Reply; manifests: Descriptor[] }> {
  let reply = await ctx.client.request('GET', `/v2/${ctx.ns}/referrers/${digest}${query}`);
  const first = reply;
  const manifests: Descriptor[] = [];
  for (let page = 0; ; page++) {
    expectStatus(reply, 200, `GET /referrers/${digest.slice(0, 19)}…${query}`);
    expectHeader(reply, 'content-type', mediaTypes.ociIndex, 'referrers response');
    let doc: { schemaVersion?: unknown; mediaType?: unknown; manifests?: unknown };
    try {
      doc = reply.json<typeof doc>();
    } catch {
      throw new Error(`referrers response is not JSON (${describeReply(reply)})`);
    }
    expectThat(doc.schemaVersion === 2 && Array.isArray(doc.manifests), 'referrers response is not an image index (schemaVersion 2, manifests)', reply);
    expectThat(doc.mediaType === undefined || doc.mediaType === mediaTypes.ociIndex, `referrers response has mediaType ${String(doc.mediaType)}`);
    manifests.push(...(doc.manifests as Descriptor[]));
    const next = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(reply.headers.get('link') ?? '')?.[1];
    if (!next || page > 100) return { first, manifests };
    reply = await ctx.client.request('GET', ctx.client.resolve(next, reply.url));
  }
}

/** The listed descriptors are exactly `expected`, each with artifactType and annotations. */
function expectListed(got: Descriptor[], expected: Referrer[], what: string): void {
  const digests = got.map((d) => d.digest).sort();
  const wanted = expected.map((r) => r.manifest.digest).sort();
  expectThat(JSON.stringify(digests) === JSON.stringify(wanted), `${what}: expected ${wanted.length} referrers ${wanted.join(', ')}, got ${got.length}: ${digests.join(', ') || 'none'}`);
  for (const r of expected) {
    const d = got.find((g) => g.digest === r.manifest.digest)!;
    const name = r.annotations[annotationKey];
    expectThat(d.mediaType === r.manifest.mediaType && d.size === r.manifest.size, `${what}: ${name} listed with mediaType ${d.mediaType}, size ${d.size}`);
    expectThat(d.artifactType === r.artifactType, `${what}: ${name} listed with artifactType ${String(d.artifactType)}, expected ${r.artifactType}`);
    expectThat(JSON.stringify(d.annotations ?? {}) === JSON.stringify(r.annotations), `${what}: ${name} listed with annotations ${JSON.stringify(d.annotations ?? null)}`);
  }
}

export const referrerChecks: Check[] = [
  {
    id: 'discovery.referrers-empty',
    category: 'discovery',
    name: 'referrers of an unknown digest: 200 and an empty image index',
    async run(ctx) {
      const { manifests } = await referrersOf(ctx, unknownDigest());
      expectThat(manifests.length === 0, `expected no referrers, got ${manifests.length}`);
    },
  },
  {
    id: 'discovery.referrers-list',
    category: 'discovery',
    name: 'referrers of an image: every manifest with it as subject, with artifactType and annotations; PUTs answer OCI-Subject',
    async run(ctx) {
      const { subject, referrers } = await fixture(ctx);
      for (const r of referrers) expectThat(r.ociSubject === subject.digest, `PUT of ${r.annotations[annotationKey]}: OCI-Subject is ${r.ociSubject ?? 'missing'}, expected ${subject.digest}`);
      const { manifests } = await referrersOf(ctx, subject.digest);
      expectListed(manifests, referrers, 'referrers');
    },
  },
  {
    id: 'discovery.referrers-filter',
    category: 'discovery',
    name: 'referrers filtered by artifactType: only those, with OCI-Filters-Applied: artifactType',
    async run(ctx) {
      const { subject, referrers } = await fixture(ctx);
      const { first, manifests } = await referrersOf(ctx, subject.digest, `?artifactType=${encodeURIComponent(typeA)}`);
      expectHeader(first, 'oci-filters-applied', 'artifactType', 'filtered referrers');
      expectListed(manifests, referrers.filter((r) => r.artifactType === typeA), 'filtered referrers');
    },
  },
  {
    id: 'discovery.referrers-missing-subject',
    category: 'discovery',
    name: 'a manifest whose subject does not exist: 201 with OCI-Subject, listed as its referrer',
    async run(ctx) {
      const subject: Descriptor = { mediaType: mediaTypes.ociManifest, digest: unknownDigest(), size: 1234 };
      await pushBlob(ctx, emptyJson);
      const notes = { [annotationKey]: `dangling-${ctx.run}` };
      const manifest = ociManifest(emptyJson, [emptyJson], { configMediaType: mediaTypes.ociEmpty, layerMediaType: mediaTypes.ociEmpty, artifactType: typeA, subject, annotations: notes });
      const r = await putReferrer(ctx, manifest, typeA, notes);
      expectThat(r.ociSubject === subject.digest, `PUT: OCI-Subject is ${r.ociSubject ?? 'missing'}, expected ${subject.digest}`);
      const { manifests } = await referrersOf(ctx, subject.digest);
      expectListed(manifests, [r], 'referrers of the missing subject');
    },
  },
];
