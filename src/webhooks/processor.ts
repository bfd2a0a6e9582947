/**
 * The delivery processor: takes received deliveries one at a time, oldest first, and does what
 * each asks — a push to the default branch builds and deploys the first environment of the
 * pipeline (`dev`; git/builds.ts defaultEnvironment); a push to a branch matching
 * the branch-environment patterns builds and deploys its branch environment (made on the first
 * push); a deleted branch removes its environment; a pull/merge request opened or updated deploys
 * its preview environment `pr-<n>`, closed or merged removes it. It also removes previews whose
 * TTL has run out.
 *
 * Its state is the deliveries' status in the store (received → processing → processed | failed |
 * ignored), so a restart finds what was waiting: deliveries left `processing` by a server that
 * stopped are taken again from the start (every step is idempotent: the environment is found
 * again, the build of a commit gives the same image, the deploy supersedes).
 *
 * One delivery at a time on the server keeps the order of pushes of a branch and never builds
 * two commits at once on a two-core machine; a slow build delays the deliveries behind it.
 *
 * @module
 */
import type { Logger } from 'pino';
import { SlipwayError, isSlipwayError } from '../core/errors.js';
import { branchEnvironmentName, commitImageTag, matchesBranchPatterns, previewEnvironmentName, type WebhookProvider } from '../core/webhooks.js';
import { systemActor } from '../audit/audit.js';
import { requestDeploy } from '../deploy/deployments.js';
import { changeRunning } from '../deploy/promotions.js';
import { defaultEnvironment } from '../git/builds.js';
import type { Placements } from '../deploy/target.js';
import { nowIso } from '../platform/time.js';
import { resolveEnvironment, type EnvironmentAccess, type ProjectAccess } from '../projects/projects.js';
import { repositoryOfProject } from '../registry/repositories.js';
import type { Keyring } from '../secrets/secrets.js';
import type { Db, ProjectHooksTable, WebhookDeliveriesTable } from '../store/schema.js';
import type { Principal } from '../tenancy/principal.js';
import { parseRole, weaker } from '../core/roles.js';
import { hookOf, parseBody } from './deliveries.js';
import { ensureFollowingEnvironment, expiredPreviews, followingEnvironment, removeFollowingEnvironment } from './environments.js';
import { interpretDelivery } from './payloads.js';

/** A project's branch rules, from its git source. */
export interface GitRules {
  defaultBranch: string;
  branchEnvs: string[];
}

/** What the git-sources context gives the processor (absent until the server wires it). */
export interface WebhookGit {
  /** The project's git source rules, or null when it has none. */
  rules(projectId: string): Promise<GitRules | null>;
  /** Builds the commit into the project's repository (the same commit twice: the same image). */
  build(access: ProjectAccess, commit: { ref: string; sha: string }): Promise<{ digest: string; version: string | null }>;
}

export interface ProcessorOptions {
  db: Db;
  keyring: Keyring;
  logger: Logger;
  placements(): Placements;
  enqueue(environmentId: string): void;
  git?: WebhookGit | undefined;
  /** How long a delivery waits for CI's image (`--from image`). @default 600_000 */
  imageWaitMs?: number;
}

const system: Principal = { userId: 'system', tokenId: 'system', email: 'system', instanceAdmin: false, scope: null };

type Outcome = { status: 'processed' | 'ignored'; message: string };

export class DeliveryProcessor {
  #running = false;
  #again = false;
  #stopped = false;
  readonly #abort = new AbortController();
  #timers: NodeJS.Timeout[] = [];
  #idle: Promise<void> = Promise.resolve();

  constructor(private readonly o: ProcessorOptions) {}

  /** Takes back deliveries a stopped server left half done, then starts the loops. */
  async start(): Promise<void> {
    await this.o.db.updateTable('webhook_deliveries').set({ status: 'received', message: 'taken again after a server restart', updated_at: nowIso() }).where('status', '=', 'processing').execute();
    // A resync every 10 s finds deliveries another control-plane replica stored or a poke
    // missed; it is one indexed query, and a delivery's own poke starts it at once anyway.
    // No jitter or backoff: a failed delivery is not retried by itself (replay it).
    this.#timers.push(setInterval(() => this.poke(), 10_000));
    // The TTL sweep every 60 s: TTLs are hours, so a minute late is nothing, for one query.
    this.#timers.push(setInterval(() => void this.sweep().catch((error: unknown) => this.o.logger.error({ err: error }, 'preview TTL sweep failed')), 60_000));
    for (const t of this.#timers) t.unref();
    this.poke();
  }

  /** Ends the loops; waits for the delivery in hand (its wait for an image or a deploy ends early). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    for (const t of this.#timers) clearInterval(t);
    await this.#idle;
  }

  /** Says a delivery is waiting. */
  poke(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#idle = this.#drain()
      .catch((error: unknown) => this.o.logger.error({ err: error }, 'webhook delivery processing failed'))
      .finally(() => {
        this.#running = false;
        if (this.#again && !this.#stopped) {
          this.#again = false;
          this.poke();
        }
      });
  }

  async #drain(): Promise<void> {
    while (!this.#stopped) {
      const next = await this.o.db.selectFrom('webhook_deliveries').selectAll().where('status', '=', 'received').orderBy('received_at').orderBy('id').limit(1).executeTakeFirst();
      if (!next) return;
      const claimed = await this.o.db
        .updateTable('webhook_deliveries')
        .set((eb) => ({ status: 'processing', attempts: eb('attempts', '+', 1), updated_at: nowIso() }))
        .where('id', '=', next.id)
        .where('status', '=', 'received')
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) continue;
      let status: string;
      let message: string;
      try {
        ({ status, message } = await this.#process(next));
      } catch (error) {
        status = 'failed';
        message = isSlipwayError(error) ? `${error.code}: ${error.message}` : `internal error: ${(error as Error).message}`;
        if (!isSlipwayError(error)) this.o.logger.error({ err: error, delivery: next.id }, 'webhook delivery failed');
      }
      if (this.#abort.signal.aborted && status === 'failed') status = 'received'; // stopped mid-way: taken again at the next start
      await this.o.db.updateTable('webhook_deliveries').set({ status, message: message.slice(0, 2000), updated_at: nowIso() }).where('id', '=', next.id).execute();
      this.o.logger.info({ delivery: next.id, event: next.event, status }, `webhook delivery ${status}: ${message}`);
    }
  }

  async #process(d: WebhookDeliveriesTable): Promise<Outcome> {
    const hook = await hookOf(this.o.db, d.hook_id);
    if (!hook) throw new SlipwayError('SLW_WEBHOOK_NOT_FOUND', 'the hook was deleted');
    const access = await this.#projectAccess(d.project_id, hook);
    const e = interpretDelivery(hook.provider as WebhookProvider, d.event, parseBody(d.content_type, Buffer.from(d.body, 'utf8')));
    if (e.kind === 'ignored') return { status: 'ignored', message: `ignored: ${e.reason}` };
    if (e.kind === 'push') return this.#push(hook, access, e.branch, e.sha);
    if (e.kind === 'branch-deleted') {
      const env = await followingEnvironment(this.o.db, access, 'branch', e.branch);
      if (!env) return { status: 'ignored', message: `no branch environment follows '${e.branch}'` };
      await removeFollowingEnvironment(this.o.db, this.o.placements(), env, undefined, this.#abort.signal);
      return { status: 'processed', message: `branch '${e.branch}' deleted: removed environment ${env.environment.name}` };
    }
    const ref = String(e.number);
    if (e.action === 'close') {
      const env = await followingEnvironment(this.o.db, access, 'preview', ref);
      if (!env) return { status: 'ignored', message: `no preview environment for request #${e.number}` };
      await removeFollowingEnvironment(this.o.db, this.o.placements(), env, undefined, this.#abort.signal);
      return { status: 'processed', message: `request #${e.number} closed: removed environment ${env.environment.name}` };
    }
    if (hook.previews !== 1) return { status: 'ignored', message: `previews are off for this project (slipway git hook --previews on)` };
    const image = await this.#image(hook, access, e.headRef, e.headSha);
    const expiresAt = new Date(Date.now() + hook.preview_ttl_seconds * 1000).toISOString();
    const env = await ensureFollowingEnvironment(this.o.db, access, { kind: 'preview', name: previewEnvironmentName(e.number), ref, headRef: e.headRef, sha: e.headSha, expiresAt });
    return this.#deploy(env.access, image, `request #${e.number} ${e.action === 'open' ? 'opened' : 'updated'}${env.created ? ' (environment created)' : ''}`);
  }

  async #push(hook: ProjectHooksTable, access: ProjectAccess, branch: string, sha: string): Promise<Outcome> {
    const rules = (await this.o.git?.rules(access.project.id)) ?? { defaultBranch: hook.default_branch ?? 'main', branchEnvs: JSON.parse(hook.branch_envs) as string[] };
    if (branch === rules.defaultBranch) {
      // The first environment of the project's pipeline: dev (else staging, else prod on a low tier).
      const dev = await resolveEnvironment(this.o.db, access, await defaultEnvironment(this.o.db, access));
      const image = await this.#image(hook, access, branch, sha);
      // Through the ordinary deploy request: dev's own rules (approval, required promotion) hold.
      const r = await changeRunning(this.o.db, dev, 'deploy', image, { supersede: true, keyring: this.o.keyring });
      const to = dev.environment.name;
      if (!r.deployment) return { status: 'processed', message: `push to ${branch}: ${image.version ?? image.digest} waits for approval to deploy to ${to} (promotion ${r.promotion?.id ?? '?'})` };
      this.o.enqueue(dev.environment.id);
      return { status: 'processed', message: `push to ${branch}: deploying ${image.version ?? image.digest} to ${to} (deployment ${r.deployment.id}, release #${r.deployment.releaseNumber})` };
    }
    if (!matchesBranchPatterns(branch, rules.branchEnvs)) {
      return { status: 'ignored', message: `branch '${branch}' is not the default branch (${rules.defaultBranch}) and matches no branch-environment pattern (${rules.branchEnvs.join(', ') || 'none'})` };
    }
    const image = await this.#image(hook, access, branch, sha);
    const env = await ensureFollowingEnvironment(this.o.db, access, { kind: 'branch', name: branchEnvironmentName(branch), ref: branch, headRef: branch, sha, expiresAt: null });
    return this.#deploy(env.access, image, `push to ${branch}${env.created ? ' (environment created)' : ''}`);
  }

  async #deploy(env: EnvironmentAccess, image: { digest: string; version: string | null }, what: string): Promise<Outcome> {
    const r = await requestDeploy(this.o.db, env, { imageDigest: image.digest, version: image.version, trigger: 'webhook', actor: systemActor, supersede: true });
    this.o.enqueue(env.environment.id);
    return { status: 'processed', message: `${what}: deploying ${image.version ?? image.digest} to ${env.environment.name} (deployment ${r.deployment.id}, release #${r.release.number})` };
  }

  /** The image of a commit: built from the git source, or the tag CI pushed for it. */
  async #image(hook: ProjectHooksTable, access: ProjectAccess, ref: string, sha: string): Promise<{ digest: string; version: string | null }> {
    if (hook.source === 'image') return this.#waitForImage(access, sha);
    if (!this.o.git || !(await this.o.git.rules(access.project.id))) {
      throw new SlipwayError('SLW_WEBHOOK_NO_SOURCE', `project '${access.project.name}' has no git source to build ${sha.slice(0, 12)} from; link one (slipway git link) or have the hook deploy the images CI pushes (slipway git hook --from image)`);
    }
    return this.o.git.build(access, { ref, sha });
  }

  async #waitForImage(access: ProjectAccess, sha: string): Promise<{ digest: string; version: string }> {
    const tag = commitImageTag(sha);
    const repo = await repositoryOfProject(this.o.db, access.workspace, access.project);
    const until = Date.now() + (this.o.imageWaitMs ?? 600_000);
    for (;;) {
      const row = await this.o.db.selectFrom('registry_tags').select('digest').where('repository_id', '=', repo.id).where('tag', '=', tag).executeTakeFirst();
      if (row) return { digest: row.digest, version: tag };
      if (Date.now() > until || this.#abort.signal.aborted) {
        throw new SlipwayError('SLW_IMAGE_NOT_FOUND', `${repo.name}:${tag} did not appear in time; have CI push the commit's image with that tag, then replay this delivery`);
      }
      // CI usually pushes within minutes of the commit; every 2 s is one indexed query.
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  /** Removes the previews whose TTL has run out. */
  async sweep(): Promise<number> {
    let removed = 0;
    for (const p of await expiredPreviews(this.o.db, nowIso())) {
      const env = await this.o.db.selectFrom('environments').selectAll().where('id', '=', p.environmentId).executeTakeFirst();
      if (!env) continue;
      const access = await this.#projectAccess(p.projectId);
      try {
        await removeFollowingEnvironment(this.o.db, this.o.placements(), { ...access, environment: env }, 0);
        this.o.logger.info({ environment: env.name, project: access.project.name }, `preview environment ${env.name} removed: its TTL ran out`);
        removed += 1;
      } catch (error) {
        // A deploy still running there: the next sweep, a minute later, tries again.
        this.o.logger.warn({ err: error, environment: env.name, project: access.project.name }, `preview environment ${env.name} outlived its TTL and could not be removed yet`);
      }
    }
    return removed;
  }

  /**
   * Whom a delivery acts as: the hook's creator, through the hook (token id = hook id), capped at
   * the developer role (pull bases and push images in the workspace, deploy) and at the creator's
   * current role, so a creator who left the workspace takes the hook's rights with them. Without
   * a hook (the TTL sweep), the server itself.
   */
  async #projectAccess(projectId: string, hook?: ProjectHooksTable): Promise<ProjectAccess> {
    const project = await this.o.db.selectFrom('projects').selectAll().where('id', '=', projectId).executeTakeFirstOrThrow();
    const w = await this.o.db.selectFrom('workspaces').selectAll().where('id', '=', project.workspace_id).executeTakeFirstOrThrow();
    const workspace = { id: w.id, name: w.name, tier: w.tier, createdAt: w.created_at, updatedAt: w.updated_at };
    if (!hook) return { principal: system, role: 'owner', workspace, project };
    const member = hook.created_by ? await this.o.db.selectFrom('members as m').innerJoin('users as u', 'u.id', 'm.user_id').select(['m.role', 'u.email']).where('m.workspace_id', '=', w.id).where('m.user_id', '=', hook.created_by).executeTakeFirst() : undefined;
    if (!member || !hook.created_by) throw new SlipwayError('SLW_FORBIDDEN', `the hook's creator is no longer a member of workspace '${w.name}'; a member makes a new secret for it (slipway git hook --rotate) to act as them`);
    const principal: Principal = { userId: hook.created_by, tokenId: hook.id, email: member.email, instanceAdmin: false, scope: { workspaceId: w.id, role: 'developer' } };
    return { principal, role: weaker('developer', parseRole(member.role)), workspace, project };
  }
}
