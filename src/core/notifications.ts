/**
 * Application notifications and the upstream webhook, pure: checking a notify URL, the message
 * and details of a "new version" notice (which sites run older versions), the retry schedule of
 * the outgoing webhook, and what a call of an application's upstream hook asks for (the CNCF
 * distribution registry's notification envelope, or a plain `{}`).
 *
 * @module
 */
import { SlipwayError } from './errors.js';
import { channelOf, compareSemVer, isStable, parseSemVer, type VersionClass } from './semver.js';

/** What a notification is about: a new version, a herd upgrade (halted, finished), a staged site awaiting approval. */
export const notificationKinds = ['version', 'upgrade', 'approval'] as const;
export type NotificationKind = (typeof notificationKinds)[number];

/** Longest notify URL accepted. */
export const maxNotifyUrlLength = 2048;

/**
 * A notify URL as stored: `http(s)://host[:port]/path[?query]`, no credentials, no fragment.
 * Whether its host may be reached is the egress rule's business (checked where DNS is).
 */
export function parseNotifyUrl(text: string): URL {
  const bad = (why: string) => new SlipwayError('SLW_NOTIFY_URL_INVALID', `notify URL ${JSON.stringify(text.slice(0, 200))}: ${why}; give an http:// or https:// URL such as https://hooks.example.com/slipway`);
  if (text.length > maxNotifyUrlLength) throw bad(`longer than ${maxNotifyUrlLength} characters`);
  if (/[\s\x00-\x1f\x7f]/.test(text)) throw bad('it holds spaces or control characters');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`${url.protocol.replace(/:$/, '')}: is not http or https`);
  if (url.username !== '' || url.password !== '') throw bad('it carries a user name or password (the signature authenticates Slipway; use no credentials in the URL)');
  if (url.hash !== '') throw bad('it has a #fragment');
  if (url.hostname === '') throw bad('it has no host');
  return url;
}

/** Sites listed by name in a version notice at most (the rest are counted). */
export const maxListedSites = 50;

export interface NoticeSite {
  name: string;
  /** The version it runs; null before its first deploy. */
  version: string | null;
  channel: string;
}

export interface VersionNotice {
  message: string;
  details: { version: string; class: VersionClass; sites: string[]; siteCount: number; more: number };
}

/**
 * The sites a new version concerns: those running an older version on a channel that takes it
 * (a release concerns every channel; a pre-release only its own channel), by name.
 */
export function sitesBehind(version: string, sites: readonly NoticeSite[]): string[] {
  const v = parseSemVer(version);
  if (!v) return [];
  const channel = channelOf(v);
  return sites
    .filter((s) => {
      const running = s.version === null ? null : parseSemVer(s.version);
      if (!running || compareSemVer(running, v) >= 0) return false;
      return isStable(v) || s.channel === channel;
    })
    .map((s) => s.name)
    .sort();
}

/** "shop 1.3.0 (minor) is available; 2 site(s) run older versions: a, b". */
export function versionNotice(application: string, version: string, versionClass: VersionClass, sites: readonly NoticeSite[]): VersionNotice {
  const behind = sitesBehind(version, sites);
  const listed = behind.slice(0, maxListedSites);
  const more = behind.length - listed.length;
  const head = `${application} ${version} (${versionClass}) is available`;
  const tail = behind.length === 0 ? 'no site runs an older version' : `${behind.length} site(s) run older versions: ${listed.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  return { message: `${head}; ${tail}`, details: { version, class: versionClass, sites: listed, siteCount: behind.length, more } };
}

/**
 * When the outgoing webhook is tried again after a failed attempt: 5 s, 30 s, then 2 min; after
 * the fourth attempt it is `failed` for good. A receiver that is briefly down (a deploy, a
 * restart) gets the notification; one that is gone is not called for long.
 */
export const notifyRetryDelaysMs = [5_000, 30_000, 120_000] as const;

/** The delay before attempt `attempts + 1`, or null when `attempts` is the last one. */
export function nextAttemptDelay(attempts: number): number | null {
  return notifyRetryDelaysMs[attempts - 1] ?? null;
}

/** What a call of an application's upstream hook asks for. */
export type UpstreamCall = { poll: true; tags: string[]; reason: string } | { poll: false; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a hook call's JSON body. A body without `events` (a plain `{}`, a CI job's call) asks
 * for a poll. The distribution registry's envelope (`{"events":[{"action":"push","target":
 * {"repository":…,"tag":…}}]}`) asks for one when an event pushes a semver tag to `repository`
 * (the application's upstream repository); pulls, blob pushes, other repositories and tags that
 * are not versions are ignored.
 */
export function interpretUpstreamCall(body: unknown, repository: string): UpstreamCall {
  const bad = (why: string) => new SlipwayError('SLW_WEBHOOK_PAYLOAD', `the hook call's body ${why}; send {} or a registry notification envelope {"events":[{"action":"push","target":{"repository":"…","tag":"…"}}]}`);
  if (!isObject(body)) throw bad('is not a JSON object');
  if (!('events' in body)) return { poll: true, tags: [], reason: 'a call without events' };
  const events = body.events;
  if (!Array.isArray(events)) throw bad('has events that are not an array');
  const pushed: string[] = [];
  let otherTags = 0;
  for (const e of events) {
    if (!isObject(e) || !isObject(e.target)) continue;
    const target = e.target;
    if (e.action !== 'push' || typeof target.tag !== 'string' || typeof target.repository !== 'string') continue;
    if (target.repository.toLowerCase() !== repository.toLowerCase()) continue;
    if (parseSemVer(target.tag)) pushed.push(target.tag);
    else otherTags += 1;
  }
  const tags = [...new Set(pushed)].slice(0, 100);
  if (tags.length > 0) return { poll: true, tags, reason: `pushed ${tags.join(', ')}` };
  if (otherTags > 0) return { poll: false, reason: `the tags pushed to ${repository} are not semantic versions` };
  return { poll: false, reason: `no tag was pushed to ${repository} in ${events.length} event(s)` };
}
