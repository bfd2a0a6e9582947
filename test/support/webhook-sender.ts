/**
 * Webhook deliveries as the providers send them: payloads built from each provider's documented
 * schema (the fields of GitHub's push, delete and pull_request events as in octokit/webhooks;
 * GitLab's Push Hook and Merge Request Hook as in gitlabhq's data builders; Gitea's push, delete
 * and pull_request as in modules/structs/hook.go), with the headers each sends and signed the way
 * each signs (GitHub: X-Hub-Signature-256 `sha256=<hex>`; GitLab: X-Gitlab-Token; Gitea and
 * Forgejo: bare hex X-Gitea-Signature / X-Forgejo-Signature).
 */
import { createHmac, randomUUID } from 'node:crypto';

export type Provider = 'github' | 'gitlab' | 'gitea';
export const zeroSha = '0'.repeat(40);

export interface Delivery {
  headers: Record<string, string>;
  body: string;
}

const repo = (name: string) => ({ id: 1296269, name, full_name: `octo/${name}`, clone_url: `http://git.example/octo/${name}.git`, default_branch: 'main', private: false });
const user = { login: 'octocat', id: 1, name: 'The Octocat', email: 'octocat@example.com', username: 'octocat' };

/** A push of `after` to `branch` (after = zeros: the branch was deleted). */
export function pushPayload(provider: Provider, branch: string, before: string, after: string): { event: string; payload: unknown } {
  const deleted = after === zeroSha;
  const commit = deleted ? null : { id: after, message: 'change', timestamp: '2026-12-06T12:00:00Z', url: `http://git.example/commit/${after}`, author: { name: 'Octo', email: 'octo@example.com', username: 'octocat' }, added: [], removed: [], modified: ['index.html'] };
  if (provider === 'gitlab') {
    return {
      event: 'Push Hook',
      payload: { object_kind: 'push', event_name: 'push', before, after, ref: `refs/heads/${branch}`, ref_protected: false, checkout_sha: deleted ? null : after, user_id: 1, user_name: 'Octo', user_username: 'octocat', project_id: 15, project: { id: 15, name: 'site', default_branch: 'main', path_with_namespace: 'octo/site' }, commits: commit ? [commit] : [], total_commits_count: commit ? 1 : 0, repository: { name: 'site', homepage: 'http://git.example/octo/site' } },
    };
  }
  const base = { ref: `refs/heads/${branch}`, before, after, compare: `http://git.example/compare/${before}...${after}`, commits: commit ? [commit] : [], head_commit: commit, repository: repo('site'), pusher: user, sender: user };
  if (provider === 'github') return { event: 'push', payload: { ...base, created: before === zeroSha, deleted, forced: false, base_ref: null } };
  return { event: 'push', payload: { ...base, total_commits: commit ? 1 : 0 } };
}

/** GitHub's and Gitea's `delete` event for a branch. */
export function deletePayload(branch: string): { event: string; payload: unknown } {
  return { event: 'delete', payload: { ref: branch, ref_type: 'branch', pusher_type: 'user', repository: repo('site'), sender: user } };
}

/** A pull request (GitHub, Gitea) or merge request (GitLab) event. `action` in the provider's words. */
export function pullRequestPayload(provider: Provider, action: string, number: number, headRef: string, headSha: string, options: { merged?: boolean; oldrev?: string } = {}): { event: string; payload: unknown } {
  if (provider === 'gitlab') {
    return {
      event: 'Merge Request Hook',
      payload: {
        object_kind: 'merge_request',
        event_type: 'merge_request',
        user,
        project: { id: 15, name: 'site', path_with_namespace: 'octo/site' },
        object_attributes: { id: 99, iid: number, title: 'A change', state: action === 'merge' ? 'merged' : action === 'close' ? 'closed' : 'opened', action, source_branch: headRef, target_branch: 'main', last_commit: { id: headSha, message: 'change', timestamp: '2026-12-06T12:00:00Z' }, ...(options.oldrev ? { oldrev: options.oldrev } : {}), url: `http://git.example/octo/site/-/merge_requests/${number}` },
        changes: {},
        repository: { name: 'site' },
      },
    };
  }
  const pr = { id: 1000 + number, number, state: action === 'closed' ? 'closed' : 'open', title: 'A change', user, head: { label: `octo:${headRef}`, ref: headRef, sha: headSha, repo: repo('site') }, base: { label: 'octo:main', ref: 'main', sha: 'f'.repeat(40), repo: repo('site') }, merged: options.merged ?? false, html_url: `http://git.example/octo/site/pull/${number}` };
  return { event: 'pull_request', payload: { action, number, pull_request: pr, repository: repo('site'), sender: user } };
}

/** Headers and body of one delivery, signed with `secret` (or with `sign` when given: to forge a bad one). */
export function delivery(provider: Provider, event: string, payload: unknown, secret: string, options: { deliveryId?: string; sign?: string; forgejo?: boolean } = {}): Delivery {
  const body = JSON.stringify(payload);
  const id = options.deliveryId ?? randomUUID();
  const key = options.sign ?? secret;
  const hex = createHmac('sha256', key).update(body).digest('hex');
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': `${provider}-hookshot/test` };
  if (provider === 'github') Object.assign(headers, { 'x-github-event': event, 'x-github-delivery': id, 'x-github-hook-id': '1', 'x-hub-signature-256': `sha256=${hex}` });
  else if (provider === 'gitlab') Object.assign(headers, { 'x-gitlab-event': event, 'idempotency-key': id, 'x-gitlab-webhook-uuid': randomUUID(), 'x-gitlab-instance': 'http://git.example', 'x-gitlab-token': key });
  else if (options.forgejo) Object.assign(headers, { 'x-forgejo-event': event, 'x-forgejo-delivery': id, 'x-forgejo-signature': hex, 'x-hub-signature-256': `sha256=${hex}` });
  else Object.assign(headers, { 'x-gitea-event': event, 'x-gitea-event-type': event, 'x-gitea-delivery': id, 'x-gitea-signature': hex, 'x-hub-signature-256': `sha256=${hex}` });
  return { headers, body };
}

/** Posts a delivery to a hook URL; returns the status and the parsed answer. */
export async function send(url: string, d: Delivery): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: d.headers, body: d.body });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

/**
 * What a forge sends after a push (the git server's `onReceive` updates): for every branch
 * updated or created, a push event; for a deleted branch, GitHub sends a push with deleted: true
 * and a `delete` event, GitLab a push with `after` = zeros, Gitea/Forgejo only a `delete` event.
 * Tag updates are sent as pushes too (Slipway ignores them).
 */
export function forgeEvents(provider: Provider, updates: Array<{ ref: string; before: string; after: string }>): Array<{ event: string; payload: unknown }> {
  const out: Array<{ event: string; payload: unknown }> = [];
  for (const u of updates) {
    const branch = u.ref.startsWith('refs/heads/') ? u.ref.slice('refs/heads/'.length) : null;
    const deleted = u.after === zeroSha;
    if (branch && deleted && provider === 'gitea') {
      out.push(deletePayload(branch));
      continue;
    }
    const p = pushPayload(provider, branch ?? u.ref, u.before, u.after);
    if (!branch) (p.payload as { ref: string }).ref = u.ref;
    out.push(p);
    if (branch && deleted && provider === 'github') out.push(deletePayload(branch));
  }
  return out;
}
