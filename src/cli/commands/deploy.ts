/**
 * `slipway deploy`, `promote`, `approve`, `reject`, `rollback`, `status` and `logs`: each deploy
 * returns at once on the server; the CLI follows its log until it ends (`--detach` to return at
 * once) and exits non-zero when it fails.
 *
 * @module
 */
import type { Command } from 'commander';
import { SlipwayError } from '../../core/errors.js';
import { apiPath } from '../client.js';
import { required, withEnvironment, withProject, withWorkspace, type Ctx, type Runner } from '../context.js';
import { emit, pc, shortTime, table } from '../output.js';
import { followEvents, followRuntime, type LogEvent } from '../sse.js';

interface Deployment {
  id: string;
  environment: string;
  releaseNumber: number;
  status: string;
  phase: string;
  error: string | null;
}
interface Promotion {
  id: string;
  from: string;
  to: string;
  version: string | null;
  imageDigest: string;
  status: string;
  requestedBy: string | null;
  deploymentId: string | null;
}

const short = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);

function printLog(e: LogEvent): void {
  const colour = e.level === 'error' ? pc.red : e.level === 'warn' ? pc.yellow : (s: string) => s;
  process.stderr.write(`${pc.dim(e.at.slice(11, 19))} ${pc.bold(e.step.padEnd(9))} ${colour(e.message)}\n`);
}

/** Follows a deployment to its end (unless --detach); prints the result; fails the command if it failed. */
async function follow(ctx: Ctx, deployment: Deployment, extra: Record<string, unknown> = {}): Promise<void> {
  const workspace = required(ctx, 'workspace');
  if (ctx.opts.detach === true) {
    emit(ctx.io, ctx.json, { ...extra, deployment }, () => `release #${deployment.releaseNumber} of ${deployment.environment} queued as deployment ${deployment.id}; follow it with 'slipway logs ${deployment.id} -w ${workspace} --follow'`);
    return;
  }
  const end = await followEvents(ctx.client, `${apiPath('workspaces', workspace, 'deployments', deployment.id, 'events')}`, ctx.json ? () => undefined : printLog);
  const final = await ctx.client.request<Deployment>('GET', apiPath('workspaces', workspace, 'deployments', deployment.id));
  emit(ctx.io, ctx.json, { ...extra, deployment: final }, () => (end.status === 'succeeded' ? pc.green(`release #${final.releaseNumber} of ${final.environment} is live`) : pc.red(`release #${final.releaseNumber} of ${final.environment} failed: ${end.error ?? ''}`)));
  if (end.status !== 'succeeded') throw new SlipwayError('SLW_VALIDATION', `deployment ${final.id} failed: ${end.error ?? 'see slipway logs'}`);
}

const detach = (cmd: Command) => cmd.option('--detach', 'return once the deploy is queued; do not follow it');

export function registerDeploy(program: Command, run: Runner): void {
  detach(withEnvironment(program.command('deploy').description('deploy an image (a version or digest in the project repository) as a new release').option('--version <version>', 'image version tag').option('--digest <digest>', 'image digest'))).action(
    run(async (ctx) => {
      const path = apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'environments', required(ctx, 'env'), 'deployments');
      const body: Record<string, string> = {};
      if (typeof ctx.opts.version === 'string') body.version = ctx.opts.version;
      if (typeof ctx.opts.digest === 'string') body.digest = ctx.opts.digest;
      const { deployment } = await ctx.client.request<{ deployment: Deployment }>('POST', path, body);
      await follow(ctx, deployment);
    }),
  );

  detach(withProject(program.command('promote').description("deploy the image of one environment's current release to another, with its own config; no build").requiredOption('--from <env>', 'source environment').requiredOption('--to <env>', 'target environment'))).action(
    run(async (ctx) => {
      const path = apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'promotions');
      const { promotion, deployment } = await ctx.client.request<{ promotion: Promotion; deployment: Deployment | null }>('POST', path, { from: String(ctx.opts.from), to: String(ctx.opts.to) });
      if (!deployment) {
        emit(ctx.io, ctx.json, { promotion }, () => `promotion ${promotion.id} of ${promotion.version ?? short(promotion.imageDigest)} from ${promotion.from} to ${promotion.to} waits for approval: an admin runs 'slipway approve ${promotion.id} -w ${required(ctx, 'workspace')}'`);
        return;
      }
      await follow(ctx, deployment, { promotion });
    }),
  );

  detach(withWorkspace(program.command('approve <promotion>').description('approve a promotion waiting for approval, then follow its deploy'))).action(
    run(async (ctx, [id]) => {
      const { promotion, deployment } = await ctx.client.request<{ promotion: Promotion; deployment: Deployment | null }>('POST', apiPath('workspaces', required(ctx, 'workspace'), 'promotions', id!, 'approve'));
      if (!deployment) throw new SlipwayError('SLW_PROMOTION_STATE', `promotion ${promotion.id} is ${promotion.status}`);
      await follow(ctx, deployment, { promotion });
    }),
  );

  withWorkspace(program.command('reject <promotion>').description('reject a promotion waiting for approval').option('--reason <text>', 'why')).action(
    run(async (ctx, [id]) => {
      const body = typeof ctx.opts.reason === 'string' ? { reason: ctx.opts.reason } : {};
      const { promotion } = await ctx.client.request<{ promotion: Promotion }>('POST', apiPath('workspaces', required(ctx, 'workspace'), 'promotions', id!, 'reject'), body);
      emit(ctx.io, ctx.json, { promotion }, () => `promotion ${promotion.id} rejected`);
    }),
  );

  detach(withEnvironment(program.command('rollback').description("a new release with an earlier release's image and config (default: the previous successful one)").option('--to <n>', 'release number to go back to'))).action(
    run(async (ctx) => {
      const path = apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'environments', required(ctx, 'env'), 'rollback');
      const body = ctx.opts.to === undefined ? {} : { to: Number(ctx.opts.to) };
      const { deployment } = await ctx.client.request<{ deployment: Deployment }>('POST', path, body);
      await follow(ctx, deployment);
    }),
  );

  withProject(program.command('status').description("each environment's running release and health")).action(
    run(async (ctx) => {
      type Status = { name: string; domain: string; release: { number: number; version: string | null; imageDigest: string } | null; replicas: { running: number; desired: number }; health: string; deploying: Deployment | null };
      const result = await ctx.client.request<{ environments: Status[] }>('GET', apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'status'));
      emit(ctx.io, ctx.json, result, () =>
        table(
          ['ENV', 'RELEASE', 'VERSION', 'DIGEST', 'REPLICAS', 'HEALTH', 'DOMAIN', 'DEPLOYING'],
          result.environments.map((e) => [e.name, e.release ? `#${e.release.number}` : null, e.release?.version, e.release ? short(e.release.imageDigest) : null, `${e.replicas.running}/${e.replicas.desired}`, e.health, e.domain, e.deploying ? `#${e.deploying.releaseNumber} ${e.deploying.phase}` : null]),
        ),
      );
    }),
  );

  withEnvironment(
    program
      .command('logs [deployment]')
      .description("a deployment's log (its steps; --follow until it ends), or with --runtime the output of an environment's containers")
      .option('--follow', 'keep following until the deployment ends')
      .option('--runtime', "follow the output of the environment's running containers (needs -p and -e)")
      .option('--tail <n>', 'with --runtime: lines of earlier output to show first', '20'),
  ).action(
    run(async (ctx, [id]) => {
      const workspace = required(ctx, 'workspace');
      if (ctx.opts.runtime === true) {
        const path = `${apiPath('workspaces', workspace, 'projects', required(ctx, 'project'), 'environments', required(ctx, 'env'), 'logs')}?tail=${Number(ctx.opts.tail)}`;
        const end = await followRuntime(ctx.client, path, (e) => ctx.io.out(ctx.json ? JSON.stringify(e) : `${pc.dim(e.replica)} ${e.line}`));
        if (end && end.replicas === 0) process.stderr.write(`${end.reason}\n`);
        return;
      }
      if (!id) throw new SlipwayError('SLW_USAGE', 'name a deployment (its id is printed by deploy, promote and approve), or pass --runtime with -p and -e');
      const events: LogEvent[] = [];
      const path = apiPath('workspaces', workspace, 'deployments', id!, 'events');
      if (ctx.opts.follow === true) {
        const end = await followEvents(ctx.client, path, (e) => (ctx.json ? events.push(e) : printLog(e)));
        if (ctx.json) emit(ctx.io, true, { events, end }, () => '');
        return;
      }
      const end = await followEvents(ctx.client, `${path}?follow=false`, (e) => events.push(e), { maxRetries: 0 });
      emit(ctx.io, ctx.json, { events, end }, () => events.map((e) => `${shortTime(e.at)} ${e.step.padEnd(9)} ${e.message}`).join('\n'));
    }),
  );
}
