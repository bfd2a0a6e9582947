/** `slipway promotions` and `slipway promotion show`: requests (promotions, gated deploys and rollbacks) with the state of each gate. */
import type { Command } from 'commander';
import type { Promotion, PromotionList } from '../../api/promotions.js';
import { percent } from '../../core/gates.js';
import { apiPath } from '../client.js';
import { required, withProject, withWorkspace, type Runner } from '../context.js';
import { emit, shortTime, table } from '../output.js';

type HealthState = NonNullable<Promotion['gates']['health']>;

/** `pending`, `approved by ada@…`, `not required`. */
export function approvalLine(p: Promotion): string {
  const a = p.gates.approval;
  if (a.state === 'pending') return 'pending';
  if (a.state === 'approved') return `approved by ${a.by ?? '?'}`;
  if (a.state === 'rejected') return `rejected by ${a.by ?? '?'}`;
  return a.required ? 'skipped by an admin (see slipway audit)' : 'not required';
}

/** `baking 12/30 s: 0% of 60`, `passed: …`, `failed: rolled back by health gate: …`. */
export function healthLine(h: HealthState | null): string {
  if (!h) return 'none';
  const measured = `${percent(h.errorRate)} errors (${h.errors} of ${h.requests} requests), ${h.ready ?? '?'}/${h.replicas} ready`;
  if (h.status === 'baking') {
    const elapsed = Math.min(h.bakeSeconds, Math.round((Date.now() - Date.parse(h.startedAt)) / 1000));
    return `baking ${elapsed}/${h.bakeSeconds} s (at most ${percent(h.maxErrorRate)}): ${measured}`;
  }
  if (h.status === 'failed') return `failed: rolled back by health gate: ${h.reason ?? measured}${h.rollbackDeploymentId ? ` (rollback deployment ${h.rollbackDeploymentId})` : ''}`;
  return `${h.status}: ${h.reason ?? measured}`;
}

/** `tests: run run_… succeeded`, `none`. */
export function pipelineLine(p: Promotion): string {
  const g = p.gates.pipeline;
  if (!g) return p.status === 'testing' ? 'starting' : 'none';
  return `${g.pipeline}: run ${g.runId} ${g.status}${g.error ? `: ${g.error}` : ''}`;
}

function show(p: Promotion): string {
  return table(
    ['FIELD', 'VALUE'],
    [
      ['id', p.id],
      ['kind', p.kind],
      ['what', p.kind === 'promotion' ? `${p.project}: ${p.from} (release #${p.fromRelease}) → ${p.to}` : `${p.project}/${p.to}`],
      ['image', `${p.version ?? ''} ${p.imageDigest}`.trim()],
      ['status', p.status],
      ['requested', `${p.requestedBy ?? 'a token'} at ${shortTime(p.createdAt)}`],
      ['gate approval', approvalLine(p)],
      ['gate pipeline', pipelineLine(p)],
      ['gate health', healthLine(p.gates.health)],
      ['deployment', p.deploymentId],
      ['reason', p.reason],
    ],
  );
}

export function registerPromotions(program: Command, run: Runner): void {
  withProject(
    program
      .command('promotions')
      .description("a project's promotions and requests waiting for approval, newest first, with each gate's state")
      .option('--status <status>', 'only requests in this status (pending-approval, testing, deploying, baking, succeeded, failed, rejected, cancelled)')
      .option('--limit <n>', 'how many', '50'),
  ).action(
    run(async (ctx) => {
      const q = new URLSearchParams({ limit: String(ctx.opts.limit) });
      if (typeof ctx.opts.status === 'string') q.set('status', ctx.opts.status);
      const path = `${apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'promotions')}?${q.toString()}`;
      const { promotions } = await ctx.client.request<PromotionList>('GET', path);
      emit(ctx.io, ctx.json, { promotions }, () =>
        table(
          ['ID', 'KIND', 'FROM', 'TO', 'VERSION', 'STATUS', 'APPROVAL', 'PIPELINE', 'HEALTH', 'CREATED'],
          promotions.map((p) => [p.id, p.kind, p.from, p.to, p.version, p.status, approvalLine(p), pipelineLine(p), p.gates.health ? healthLine(p.gates.health) : 'none', shortTime(p.createdAt)]),
        ),
      );
    }),
  );
  const promotion = program.command('promotion').description('one promotion or approval request');
  withWorkspace(promotion.command('show <request>').description("a request with each gate's state (approval, pipeline, health)")).action(
    run(async (ctx, [id]) => {
      const p = await ctx.client.request<Promotion>('GET', apiPath('workspaces', required(ctx, 'workspace'), 'promotions', id!));
      emit(ctx.io, ctx.json, p, () => show(p));
    }),
  );
}
