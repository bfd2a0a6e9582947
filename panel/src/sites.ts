/** A site's edit form turned into the body `slipway site set` sends (only what changed), and those changes said in words. Pure. */
import { labelEdits, labelText } from './labels';
import type { Site, UpdateSiteBody } from './types';

export interface SiteForm {
  labels: string;
  channel: string;
  policy: Site['policy'];
  /** Five cron fields (UTC); empty for no window. */
  window: string;
}

export const siteForm = (s: Site): SiteForm => ({ labels: labelText(s.labels), channel: s.channel, policy: s.policy, window: s.window ?? '' });

/** What differs from the site: label edits (set, unset), channel, policy, window (null: none). Empty when nothing does. */
export function siteChanges(s: Site, form: SiteForm): UpdateSiteBody {
  const body: UpdateSiteBody = {};
  const { set, unset } = labelEdits(s.labels, form.labels);
  if (Object.keys(set).length > 0 || unset.length > 0) body.labels = { ...(Object.keys(set).length > 0 ? { set } : {}), ...(unset.length > 0 ? { unset } : {}) };
  const channel = form.channel.trim();
  if (channel !== s.channel) body.channel = channel;
  if (form.policy !== s.policy) body.policy = form.policy;
  // The server keeps a window with single spaces; a respaced one is no change.
  const window = form.window.trim().split(/\s+/).filter(Boolean).join(' ');
  if (window !== (s.window ?? '')) body.window = window === '' ? null : window;
  return body;
}

export function describeChanges(body: UpdateSiteBody): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(body.labels?.set ?? {})) out.push(`set label ${k}=${v}`);
  for (const k of body.labels?.unset ?? []) out.push(`remove label ${k}`);
  if (body.channel !== undefined) out.push(`channel ${body.channel || '(empty)'}`);
  if (body.policy !== undefined) out.push(`policy ${body.policy}`);
  if (body.window !== undefined) out.push(body.window === null ? 'no window (any time)' : `window ${body.window}`);
  return out;
}
