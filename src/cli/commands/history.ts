/** `slipway releases` and `slipway audit`. */
import type { Command } from 'commander';
import type { AuditList, Release, ReleaseList } from '../../api/releases.js';
import { apiPath } from '../client.js';
import { required, withEnvironment, withWorkspace, type Runner } from '../context.js';
import { emit, shortTime, table } from '../output.js';


function duration(r: Release): string {
  if (!r.startedAt || !r.finishedAt) return '—';
  return `${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)}s`;
}

function query(params: Record<string, unknown>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (typeof v === 'string' && v.length > 0) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function registerHistory(program: Command, run: Runner): void {
  withEnvironment(program.command('releases').description("an environment's releases, newest first").option('--limit <n>', 'how many', '50')).action(
    run(async (ctx) => {
      const path = apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'environments', required(ctx, 'env'), 'releases');
      const { releases } = await ctx.client.request<ReleaseList>('GET', `${path}${query({ limit: ctx.opts.limit })}`);
      emit(ctx.io, ctx.json, { releases }, () =>
        table(
          ['#', 'VERSION', 'DIGEST', 'CONFIG', 'STATUS', 'TRIGGER', 'BY', 'CREATED', 'TOOK'],
          releases.map((r) => [r.number, r.version, r.imageDigest.replace(/^sha256:/, '').slice(0, 12), r.configVersion, r.status, r.trigger, r.actor.email, shortTime(r.createdAt), duration(r)]),
        ),
      );
    }),
  );
  withWorkspace(
    program
      .command('audit')
      .description("the workspace's audit log, newest first")
      .option('--action <action>', "filter by action, or a prefix like 'secret.*'")
      .option('--actor <email>', 'filter by who did it')
      .option('--since <time>', 'only events at or after this ISO time')
      .option('--limit <n>', 'how many', '100'),
  ).action(
    run(async (ctx) => {
      const path = apiPath('workspaces', required(ctx, 'workspace'), 'audit');
      const { events } = await ctx.client.request<AuditList>('GET', `${path}${query({ action: ctx.opts.action, actor: ctx.opts.actor, since: ctx.opts.since, limit: ctx.opts.limit })}`);
      emit(ctx.io, ctx.json, { events }, () =>
        table(['AT', 'ACTOR', 'TOKEN', 'ACTION', 'TARGET', 'DETAILS'], events.map((e) => [shortTime(e.at), e.actor.email ?? 'system', e.actor.tokenName, e.action, e.target, JSON.stringify(e.details)])),
      );
    }),
  );
}
