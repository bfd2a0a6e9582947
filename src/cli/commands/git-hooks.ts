/** `slipway git hook …` and `slipway git deliveries …`: a project's webhook and what it received. */
import type { Command } from 'commander';
import type { Deleted } from '../../api/common.js';
import type { Delivery, DeliveryList, HookAnswer, HookStatus, PutHookBody } from '../../api/webhooks.js';
import { SlipwayError } from '../../core/errors.js';
import { parseDuration } from '../../core/tokens.js';
import { apiPath } from '../client.js';
import { required, withProject, type Ctx, type Runner } from '../context.js';
import { emit, shortTime, table } from '../output.js';

const providers = ['github', 'gitlab', 'gitea'] as const;

/** The `git` command (made here, or the one git sources made first). */
function gitCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'git') ?? program.command('git').description('git sources, webhooks, branch and preview environments');
}

function hookPath(ctx: Ctx, ...rest: string[]): string {
  return apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), ...rest);
}

function settings(ctx: Ctx): Omit<PutHookBody, 'provider'> {
  const o = ctx.opts;
  const body: Omit<PutHookBody, 'provider'> = {};
  if (o.rotate === true) body.rotate = true;
  if (typeof o.from === 'string') {
    if (o.from !== 'build' && o.from !== 'image') throw new SlipwayError('SLW_USAGE', `--from is build (build the pushed commit) or image (deploy the tag git-<12 hex> CI pushed), not '${o.from}'`);
    body.source = o.from;
  }
  if (typeof o.branch === 'string') body.defaultBranch = o.branch;
  if (typeof o.branchEnvs === 'string') body.branchEnvs = o.branchEnvs.split(',').map((s) => s.trim()).filter(Boolean);
  if (typeof o.previews === 'string') {
    if (o.previews !== 'on' && o.previews !== 'off') throw new SlipwayError('SLW_USAGE', `--previews is on or off, not '${o.previews}'`);
    body.previews = o.previews === 'on';
  }
  if (typeof o.previewTtl === 'string') {
    const ms = parseDuration(o.previewTtl);
    if (ms === undefined) throw new SlipwayError('SLW_USAGE', `--preview-ttl is a duration such as 72h, 3d or 90m, not '${o.previewTtl}'`);
    body.previewTtlSeconds = ms / 1000;
  }
  return body;
}

function describeHook(a: HookAnswer): string {
  const h = a.hook;
  const lines = [
    `${a.created ? 'created' : 'webhook'} ${h.provider} hook of ${h.project}`,
    `url: ${a.url}`,
    a.secret ? `secret: ${a.secret}   (shown once: paste it into the ${h.provider} webhook now; --rotate makes a new one)` : 'secret: (set; shown only when created or rotated: --rotate)',
    `pushes to ${h.defaultBranch ?? "the git source's branch (else main)"} deploy dev; branch environments for: ${h.branchEnvs.join(', ') || "the git source's patterns (none set here)"}`,
    `images: ${h.source === 'image' ? 'the tag git-<12 hex> CI pushed to the project repository' : 'built from the pushed commit'}; previews: ${h.previews ? `on, removed ${Math.round(h.previewTtlSeconds / 3600)}h after their last update` : 'off'}`,
  ];
  if (h.failedVerifications > 0) lines.push(`refused deliveries (bad signature or token): ${h.failedVerifications}, last ${shortTime(h.lastFailedAt)}`);
  return lines.join('\n');
}

export function registerGitHooks(program: Command, run: Runner): void {
  const git = gitCommand(program);
  withProject(git.command('hook').description("create or show the project's webhook: prints its url, and its secret when created or rotated"))
    .option('--provider <provider>', `the git host: ${providers.join(', ')} (gitea also serves Forgejo)`)
    .option('--rotate', 'make a new secret (the old one stops working at once)')
    .option('--from <source>', 'build: build the pushed commit (needs a git source); image: deploy the tag git-<12 hex> CI pushed to the project repository')
    .option('--branch <branch>', 'branch whose pushes deploy dev (default: the git source branch, else main)')
    .option('--branch-envs <patterns>', "comma-separated branch patterns that get branch environments, e.g. 'feature/*' (when the project has no git source)")
    .option('--previews <on|off>', 'pull/merge requests get preview environments pr-<n> (default on)')
    .option('--preview-ttl <duration>', 'remove a preview this long after its last update (default 72h)')
    .option('--delete', 'delete the hook and its deliveries (its URL answers 404 from then on)')
    .action(
      run(async (ctx) => {
        if (ctx.opts.delete === true) {
          const r = await ctx.client.request<Deleted>('DELETE', hookPath(ctx, 'hook'));
          emit(ctx.io, ctx.json, r, () => `deleted webhook ${r.deleted}`);
          return;
        }
        const provider = ctx.opts.provider;
        const body = settings(ctx);
        if (provider === undefined && Object.keys(body).length === 0) {
          const s = await ctx.client.request<HookStatus>('GET', hookPath(ctx, 'hook'));
          if (!s.hook || !s.url) throw new SlipwayError('SLW_NOT_FOUND', `project '${required(ctx, 'project')}' has no webhook; create one with --provider github|gitlab|gitea`);
          emit(ctx.io, ctx.json, s, () => describeHook({ hook: s.hook!, url: s.url!, secret: null, created: false }));
          return;
        }
        if (typeof provider !== 'string' || !(providers as readonly string[]).includes(provider)) throw new SlipwayError('SLW_USAGE', `pass --provider ${providers.join('|')}`);
        const a = await ctx.client.request<HookAnswer>('PUT', hookPath(ctx, 'hook'), { provider, ...body });
        emit(ctx.io, ctx.json, { ...a.hook, url: a.url, secret: a.secret, created: a.created }, () => describeHook(a));
      }),
    );
  withProject(git.command('deliveries').description("the webhook's deliveries, newest first; --replay ID processes one again from its stored body"))
    .option('--replay <id>', 'process this delivery again (developer role and above, as for a deploy)')
    .option('--limit <n>', 'how many (default 100, at most 500)')
    .action(
      run(async (ctx) => {
        if (typeof ctx.opts.replay === 'string') {
          const d = await ctx.client.request<Delivery>('POST', hookPath(ctx, 'deliveries', ctx.opts.replay, 'replay'));
          emit(ctx.io, ctx.json, d, () => `delivery ${d.id} (${d.event ?? '?'} ${d.ref ?? ''}) queued again; follow it with slipway git deliveries`);
          return;
        }
        const limit = typeof ctx.opts.limit === 'string' ? `?limit=${encodeURIComponent(ctx.opts.limit)}` : '';
        const { deliveries } = await ctx.client.request<DeliveryList>('GET', `${hookPath(ctx, 'deliveries')}${limit}`);
        emit(ctx.io, ctx.json, { deliveries }, () =>
          table(
            ['ID', 'RECEIVED', 'EVENT', 'REF', 'SHA', 'STATUS', 'MESSAGE'],
            deliveries.map((d) => [d.id, shortTime(d.receivedAt), [d.event, d.action !== d.event && d.action !== 'push' ? d.action : null].filter(Boolean).join(' '), d.ref ?? '-', d.sha?.slice(0, 12) ?? '-', d.duplicates > 0 ? `${d.status} (+${d.duplicates} dup)` : d.status, (d.message ?? '').slice(0, 100)]),
          ),
        );
      }),
    );
}
