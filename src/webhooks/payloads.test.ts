import { describe, expect, it } from 'vitest';
import { deletePayload, pullRequestPayload, pushPayload, zeroSha, type Provider } from '../../test/support/webhook-sender.js';
import { PayloadError, interpretDelivery } from './payloads.js';

const a = 'a'.repeat(40);
const b = 'b'.repeat(40);
const providers: Provider[] = ['github', 'gitlab', 'gitea'];

function interpret(provider: Provider, e: { event: string; payload: unknown }) {
  return interpretDelivery(provider, e.event, JSON.parse(JSON.stringify(e.payload)));
}

describe('interpretDelivery', () => {
  it.each(providers)('%s: a push to a branch, a new branch and a deleted branch', (p) => {
    expect(interpret(p, pushPayload(p, 'feature/x', a, b))).toEqual({ kind: 'push', branch: 'feature/x', sha: b });
    expect(interpret(p, pushPayload(p, 'feature/x', zeroSha, b))).toEqual({ kind: 'push', branch: 'feature/x', sha: b });
    expect(interpret(p, pushPayload(p, 'feature/x', b, zeroSha))).toEqual({ kind: 'branch-deleted', branch: 'feature/x' });
  });

  it('GitHub and Gitea delete events delete the branch; a tag deletion is ignored', () => {
    for (const p of ['github', 'gitea'] as const) {
      expect(interpret(p, deletePayload('feature/x'))).toEqual({ kind: 'branch-deleted', branch: 'feature/x' });
      expect(interpretDelivery(p, 'delete', { ref: 'v1', ref_type: 'tag' }).kind).toBe('ignored');
    }
  });

  it('maps each provider’s request actions to open, update and close', () => {
    const cases: Array<[Provider, string, string | null]> = [
      ['github', 'opened', 'open'],
      ['github', 'reopened', 'open'],
      ['github', 'synchronize', 'update'],
      ['github', 'closed', 'close'],
      ['github', 'labeled', null],
      ['gitea', 'synchronized', 'update'],
      ['gitea', 'opened', 'open'],
      ['gitea', 'closed', 'close'],
      ['gitlab', 'open', 'open'],
      ['gitlab', 'reopen', 'open'],
      ['gitlab', 'close', 'close'],
      ['gitlab', 'merge', 'close'],
      ['gitlab', 'approved', null],
    ];
    for (const [p, action, want] of cases) {
      const e = interpret(p, pullRequestPayload(p, action, 7, 'feature/x', b));
      if (want) expect(e, `${p} ${action}`).toEqual({ kind: 'pull-request', action: want, number: 7, headSha: b, headRef: 'feature/x', baseRef: 'main' });
      else expect(e.kind, `${p} ${action}`).toBe('ignored');
    }
  });

  it('a GitLab update counts only with new commits (oldrev)', () => {
    expect(interpret('gitlab', pullRequestPayload('gitlab', 'update', 7, 'f', b)).kind).toBe('ignored');
    expect(interpret('gitlab', pullRequestPayload('gitlab', 'update', 7, 'f', b, { oldrev: a }))).toMatchObject({ kind: 'pull-request', action: 'update' });
  });

  it('ignores unused events and tag pushes', () => {
    expect(interpretDelivery('github', 'ping', { zen: 'x', hook_id: 1 }).kind).toBe('ignored');
    expect(interpretDelivery('github', 'issues', {}).kind).toBe('ignored');
    expect(interpretDelivery('gitlab', 'Tag Push Hook', {}).kind).toBe('ignored');
    expect(interpretDelivery('github', null, {}).kind).toBe('ignored');
    expect(interpretDelivery('github', 'push', { ref: 'refs/tags/v1', before: a, after: b }).kind).toBe('ignored');
  });

  it('refuses a used event whose payload lacks the documented fields', () => {
    expect(() => interpretDelivery('github', 'push', { ref: 'refs/heads/x' })).toThrow(PayloadError);
    expect(() => interpretDelivery('github', 'pull_request', { action: 'opened', number: 1, pull_request: { head: { sha: 'nope', ref: 'x' }, base: { ref: 'main' } } })).toThrow(/head\.sha/);
    expect(() => interpretDelivery('gitlab', 'Push Hook', [])).toThrow(PayloadError);
    expect(() => interpretDelivery('github', 'push', { ref: 'refs/heads/x', before: a, after: 'zz' })).toThrow(PayloadError);
  });
});
