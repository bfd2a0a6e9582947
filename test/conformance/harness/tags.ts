/**
 * Content discovery checks for the tag list: the list itself, its lexical order, `n` (exactly n
 * from the start, `Link: <…>; rel="next"` while more remain, the pages adding up to the whole
 * list), `last`, and `n=0` (empty, no Link). Four tags unique to the run are pushed first.
 *
 * @module
 */
import { expectThat, listTags, pushImage, putManifest, expectStatus, type Check, type Context } from './check.js';
import type { Reply } from './client.js';
import { randomImage } from './fixtures.js';

type Order = (a: string, b: string) => number;

const codePoint: Order = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
/** v1.1.1's "case-insensitive alphanumeric order" (ties broken by code point). */
const caseInsensitive: Order = (a, b) => codePoint(a.toLowerCase(), b.toLowerCase()) || codePoint(a, b);

function sortedBy(list: string[], order: Order): boolean {
  return list.every((t, i) => i === 0 || order(list[i - 1]!, t) < 0);
}

/** The order a full list is in (either is accepted), or undefined when it is in neither. */
function orderOf(list: string[]): Order | undefined {
  return sortedBy(list, codePoint) ? codePoint : sortedBy(list, caseInsensitive) ? caseInsensitive : undefined;
}

/** The `rel="next"` target of a Link header, if any. */
export function nextLink(reply: Reply): string | undefined {
  const header = reply.headers.get('link');
  if (!header) return undefined;
  return /<([^>]*)>\s*;\s*rel="?next"?/i.exec(header)?.[1];
}

/** Pushes one image under four tags unique to the run; the tags. */
async function fixtureTags(ctx: Context): Promise<string[]> {
  return ctx.shared('tags', async () => {
    const image = randomImage(512);
    const tags = [0, 1, 2, 3].map((i) => `t${ctx.run}-${i}`);
    await pushImage(ctx, [image.config, ...image.layers], image.manifest, tags[0]!);
    for (const tag of tags.slice(1)) expectStatus(await putManifest(ctx, image.manifest, tag), 201, `PUT /manifests/${tag}`);
    return tags;
  });
}

/** The whole list in the order the spec wants, for computing what a page should hold. */
async function fullList(ctx: Context): Promise<{ tags: string[]; order: Order }> {
  const { tags } = await listTags(ctx);
  expectThat(tags, 'tags list without "tags"');
  const order = orderOf(tags) ?? codePoint;
  return { tags: [...tags].sort(order), order };
}

const show = (tags: string[] | null): string => (tags === null ? 'null' : `[${tags.slice(0, 8).join(', ')}${tags.length > 8 ? `, … ${tags.length} in all` : ''}]`);

export const tagChecks: Check[] = [
  {
    id: 'discovery.tags-list',
    category: 'discovery',
    name: 'GET tags/list: 200, the repository name and every pushed tag',
    async run(ctx) {
      const mine = await fixtureTags(ctx);
      const { reply, tags } = await listTags(ctx);
      expectThat(reply.json<{ name?: unknown }>().name === ctx.ns, `tags list: "name" is not ${ctx.ns}`, reply);
      const missing = mine.filter((t) => !tags?.includes(t));
      expectThat(missing.length === 0, `tags list lacks pushed tags ${missing.join(', ')}`);
    },
  },
  {
    id: 'discovery.tags-sorted',
    category: 'discovery',
    name: 'tags list in lexical order',
    async run(ctx) {
      await fixtureTags(ctx);
      const { tags } = await listTags(ctx);
      expectThat(tags && orderOf(tags), `tags list is not in lexical order: ${show(tags)}`);
    },
  },
  {
    id: 'discovery.tags-n',
    category: 'discovery',
    name: 'tags list with n=2: exactly the first 2 tags',
    async run(ctx) {
      await fixtureTags(ctx);
      const { tags: all } = await fullList(ctx);
      const { tags } = await listTags(ctx, '?n=2');
      expectThat(JSON.stringify(tags) === JSON.stringify(all.slice(0, 2)), `?n=2: expected ${show(all.slice(0, 2))}, got ${show(tags)}`);
    },
  },
  {
    id: 'discovery.tags-link',
    category: 'discovery',
    name: 'tags list with n=2: Link rel="next" while more remain; the pages add up to the list',
    async run(ctx) {
      await fixtureTags(ctx);
      const { tags: all } = await fullList(ctx);
      let { reply, tags } = await listTags(ctx, '?n=2');
      expectThat(tags && tags.length > 0 && tags.length <= 2, `?n=2: expected 1 or 2 tags, got ${show(tags)}`);
      const seen = [...tags];
      for (let page = 1; seen.length < all.length; page++) {
        const next = nextLink(reply);
        expectThat(next, `page ${page} of ?n=2 (${show(tags)}) has no Link rel="next", but ${all.length - seen.length} tags remain`);
        expectThat(page < 10_000, 'more than 10000 pages');
        reply = await ctx.client.request('GET', ctx.client.resolve(next, reply.url));
        expectStatus(reply, 200, `GET of the Link ${next}`);
        tags = reply.json<{ tags?: string[] | null }>().tags ?? null;
        expectThat(tags && tags.length > 0 && tags.length <= 2, `the page at ${next} holds ${show(tags)}, not 1 or 2 tags`);
        seen.push(...tags);
      }
      expectThat(JSON.stringify(seen) === JSON.stringify(all), `the pages add up to ${show(seen)}, not the list ${show(all)}`);
      expectThat(nextLink(reply) === undefined, 'the last page still has a Link rel="next"');
    },
  },
  {
    id: 'discovery.tags-last',
    category: 'discovery',
    name: 'tags list with n=2&last=<tag>: the 2 tags after it',
    async run(ctx) {
      const mine = await fixtureTags(ctx);
      const { tags: all, order } = await fullList(ctx);
      const last = mine[0]!;
      const expected = all.filter((t) => order(t, last) > 0).slice(0, 2);
      const { tags } = await listTags(ctx, `?n=2&last=${encodeURIComponent(last)}`);
      expectThat(JSON.stringify(tags) === JSON.stringify(expected), `?n=2&last=${last}: expected ${show(expected)}, got ${show(tags)}`);
    },
  },
  {
    id: 'discovery.tags-n0',
    category: 'discovery',
    name: 'tags list with n=0: an empty list and no Link',
    async run(ctx) {
      await fixtureTags(ctx);
      const { reply, tags } = await listTags(ctx, '?n=0');
      expectThat(tags === null || tags.length === 0, `?n=0: expected no tags, got ${show(tags)}`);
      expectThat(reply.headers.get('link') === null, `?n=0: expected no Link, got ${reply.headers.get('link')}`);
    },
  },
];
