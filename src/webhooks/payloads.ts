/**
 * Webhook payloads, pure: zod schemas of the fields Slipway reads from each provider's documented
 * payloads (GitHub push, delete, pull_request; GitLab Push Hook, Merge Request Hook; Gitea and
 * Forgejo push, delete, pull_request), and their translation into one small event.
 *
 * Only the fields used are in the schemas; everything else a provider sends passes untouched
 * (zod objects strip unknown keys, they do not refuse them).
 *
 * @module
 */
import { z } from 'zod';
import type { WebhookProvider } from '../core/webhooks.js';

const sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a 40 (or 64) hex commit id');
const zeros = /^0+$/;

/** What a delivery asks Slipway to do. */
export type HookEvent =
  | { kind: 'push'; branch: string; sha: string }
  | { kind: 'branch-deleted'; branch: string }
  | { kind: 'pull-request'; action: 'open' | 'update' | 'close'; number: number; headSha: string; headRef: string; baseRef: string }
  | { kind: 'ignored'; reason: string };

/** A delivery whose payload does not have the documented shape. */
export class PayloadError extends Error {}

// GitHub push, and Gitea/Forgejo push (same field names).
const pushSchema = z.object({ ref: z.string().min(1), before: z.string(), after: z.string(), deleted: z.boolean().optional() });
// GitHub / Gitea `delete` event: a short ref.
const deleteSchema = z.object({ ref: z.string().min(1), ref_type: z.string() });
// GitHub / Gitea `pull_request`.
const pullRequestSchema = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.object({ head: z.object({ sha, ref: z.string().min(1) }), base: z.object({ ref: z.string().min(1) }), merged: z.boolean().nullish() }),
});
// GitLab Push Hook.
const gitlabPushSchema = z.object({ object_kind: z.literal('push'), ref: z.string().min(1), before: z.string(), after: z.string(), checkout_sha: z.string().nullish() });
// GitLab Merge Request Hook.
const gitlabMergeRequestSchema = z.object({
  object_kind: z.literal('merge_request'),
  object_attributes: z.object({
    iid: z.number().int().positive(),
    action: z.string().optional(),
    oldrev: z.string().nullish(),
    source_branch: z.string().min(1),
    target_branch: z.string().min(1),
    last_commit: z.object({ id: sha }),
  }),
});

function parse<T extends z.ZodType>(schema: T, body: unknown, what: string): z.output<T> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new PayloadError(`the ${what} payload does not have the documented shape: ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'}`);
}

function branchOf(ref: string): string | null {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
}

function push(p: { ref: string; after: string; deleted?: boolean | undefined }): HookEvent {
  const branch = branchOf(p.ref);
  if (!branch) return { kind: 'ignored', reason: `push to ${p.ref} (not a branch)` };
  if (p.deleted === true || zeros.test(p.after)) return { kind: 'branch-deleted', branch };
  if (!sha.safeParse(p.after).success) throw new PayloadError(`the push payload's 'after' is not a commit id`);
  return { kind: 'push', branch, sha: p.after };
}

function deleted(p: { ref: string; ref_type: string }): HookEvent {
  if (p.ref_type !== 'branch') return { kind: 'ignored', reason: `deletion of ${p.ref_type} ${p.ref}` };
  return { kind: 'branch-deleted', branch: branchOf(p.ref) ?? p.ref };
}

const prActions: Record<string, 'open' | 'update' | 'close'> = { opened: 'open', reopened: 'open', synchronize: 'update', synchronized: 'update', closed: 'close' };

function pullRequest(p: z.output<typeof pullRequestSchema>): HookEvent {
  const action = prActions[p.action];
  if (!action) return { kind: 'ignored', reason: `pull request #${p.number} ${p.action}` };
  return { kind: 'pull-request', action, number: p.number, headSha: p.pull_request.head.sha, headRef: p.pull_request.head.ref, baseRef: p.pull_request.base.ref };
}

const mrActions: Record<string, 'open' | 'update' | 'close'> = { open: 'open', reopen: 'open', update: 'update', close: 'close', merge: 'close' };

function mergeRequest(p: z.output<typeof gitlabMergeRequestSchema>): HookEvent {
  const a = p.object_attributes;
  const action = a.action ? mrActions[a.action] : undefined;
  if (!action) return { kind: 'ignored', reason: `merge request !${a.iid} ${a.action ?? '(no action)'}` };
  // An update without `oldrev` changed the description, labels or assignees, not the code.
  if (action === 'update' && !a.oldrev) return { kind: 'ignored', reason: `merge request !${a.iid} updated without new commits` };
  return { kind: 'pull-request', action, number: a.iid, headSha: a.last_commit.id, headRef: a.source_branch, baseRef: a.target_branch };
}

/** Translates a verified, JSON-parsed delivery into what Slipway does with it. */
export function interpretDelivery(provider: WebhookProvider, event: string | null, body: unknown): HookEvent {
  if (!event) return { kind: 'ignored', reason: 'no event header' };
  if (provider === 'gitlab') {
    if (event === 'Push Hook') return push(parse(gitlabPushSchema, body, 'GitLab Push Hook'));
    if (event === 'Merge Request Hook') return mergeRequest(parse(gitlabMergeRequestSchema, body, 'GitLab Merge Request Hook'));
    return { kind: 'ignored', reason: `event '${event}' is not used` };
  }
  const name = provider === 'github' ? 'GitHub' : 'Gitea';
  if (event === 'push') return push(parse(pushSchema, body, `${name} push`));
  if (event === 'delete') return deleted(parse(deleteSchema, body, `${name} delete`));
  if (event === 'pull_request') return pullRequest(parse(pullRequestSchema, body, `${name} pull_request`));
  return { kind: 'ignored', reason: `event '${event}' is not used` };
}

/** The ref and commit a delivery names, for the deliveries list. */
export function summarize(e: HookEvent): { action: string | null; ref: string | null; sha: string | null } {
  if (e.kind === 'push') return { action: 'push', ref: e.branch, sha: e.sha };
  if (e.kind === 'branch-deleted') return { action: 'delete', ref: e.branch, sha: null };
  if (e.kind === 'pull-request') return { action: e.action, ref: e.headRef, sha: e.headSha };
  return { action: null, ref: null, sha: null };
}
