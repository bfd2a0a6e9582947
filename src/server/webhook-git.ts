/**
 * What the webhook processor needs from git sources, wired from the server's services: a
 * project's branch rules (its linked source) and a build of one commit (the same `buildCommit`
 * `slipway git build` runs, recorded in the project's git builds).
 *
 * @module
 */
import { buildCommit } from '../git/builds.js';
import { findGitSource } from '../git/sources.js';
import type { WebhookGit } from '../webhooks/processor.js';
import type { ServerDeps } from './deps.js';
import { gitBuildDeps } from './routes/git.js';

export function webhookGit(deps: ServerDeps): WebhookGit {
  return {
    rules: async (projectId) => {
      const source = await findGitSource(deps.db, projectId);
      return source ? { defaultBranch: source.default_branch, branchEnvs: JSON.parse(source.branch_envs) as string[] } : null;
    },
    build: async (access, commit) => {
      const built = await buildCommit(gitBuildDeps(deps), access, commit);
      return { digest: built.digest, version: built.version };
    },
  };
}
