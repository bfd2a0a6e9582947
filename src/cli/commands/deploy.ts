/**
 * `slipway deploy`, `promote`, `approve`, `reject`, `rollback`, `status` and `logs`: each deploy
 * returns at once on the server; the CLI follows its log until it ends (`--detach` to return at
 * once) and exits non-zero when it fails.
 *
 * @module
 */
import type { Command } from 'commander';
import type { Deployment, DeploymentInProject, DeployBody, ProjectStatus, PromotionStarted, RollbackBody, ScaleStarted, Started } from '../../api/deploy.js';
import type { PromoteBody, RejectBody } from '../../api/promotions.js';
import { SlipwayError } from '../../core/errors.js';
import { apiPath } from '../client.js';
import { required, withEnvironment, withProject, withWorkspace, type Ctx, type Runner } from '../context.js';
import { emit, pc, prunedLine, shortTime, table } from '../output.js';
import { followEvents, followRuntime, type LogEvent } from '../sse.js';
import { healthLine } from './promotions.js';


const short = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);

export function printLog(e: LogEvent): void {
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
  const final = await ctx.client.request<DeploymentInProject>('GET', apiPath('workspaces', workspace, 'deployments', deployment.id));
  const what = final.kind === 'scale' ? `scaling of ${final.environment}` : `release #${final.releaseNumber} of ${final.environment}`;
  const gate = final.healthGate ? `\nhealth gate: ${healthLine(final.healthGate)}; it is rolled back automatically if it fails (slipway status -p ${final.project} shows the gate)` : '';
  emit(ctx.io, ctx.json, { ...extra, deployment: final }, () => (end.status === 'succeeded' ? pc.green(final.kind === 'scale' ? `${final.environment} scaled` : `${what} is live`) + gate : pc.red(`${what} ${end.status === 'cancelled' ? 'was cancelled' : 'failed'}: ${end.error ?? ''}`)));
  if (end.status !== 'succeeded') throw new SlipwayError('SLW_VALIDATION', `deployment ${final.id} ${end.status === 'cancelled' ? 'was cancelled' : 'failed'}: ${end.error ?? 'see slipway logs'}`);
}

const detach = (cmd: Command) => cmd.option('--detach', 'return once the deploy is queued; do not follow it');
const skip = (cmd: Command) => cmd.option('--skip-approval', 'admins and owners: deploy at once although the environment requires approval (recorded in the audit log)');


/** Says what a request superseded, then follows its deploy, or says that it waits for approval. */
async function started(ctx: Ctx, r: Started, what: string): Promise<void> {
  const workspace = required(ctx, 'workspace');
  if (!r.deployment) {
    const a = r.approval!;
    emit(ctx.io, ctx.json, r, () =>
      a.status === 'testing'
        ? `${what} of ${a.version ?? short(a.imageDigest)} to ${a.to} waits for its pipeline gate (request ${a.id}); it deploys once the pipeline passes against this image: slipway promotion show ${a.id} -w ${workspace}`
        : `${what} of ${a.version ?? short(a.imageDigest)} to ${a.to} waits for approval (request ${a.id}): an admin runs 'slipway approve ${a.id} -w ${workspace}'`,
    );
    return;
  }
  if (r.superseded && !ctx.json) {
    process.stderr.write(`${pc.yellow(`superseded deployment ${r.superseded.id} (release #${r.superseded.releaseNumber}): ${r.superseded.status === 'cancelled' ? 'it had not started' : 'it is undone if traffic had not switched yet, completed first if it had'}`)}\n`);
  }
  await follow(ctx, r.deployment, r.superseded ? { superseded: r.superseded } : {});
}

/** POSTs a deploy; with `--wait`, while another deploy runs, waits for it to end and asks again. */
async function requestWaiting(ctx: Ctx, path: string, body: DeployBody): Promise<Started> {
  const until = Date.now() + 30 * 60_000;
  for (let announced = false; ; announced = true) {
    try {
      return await ctx.client.request<Started>('POST', path, body);
    } catch (error) {
      if (ctx.opts.wait !== true || (error as SlipwayError).code !== 'SLW_DEPLOY_IN_PROGRESS' || Date.now() > until) throw error;
      if (!announced && !ctx.json) process.stderr.write(`${pc.dim('another deploy of this environment runs; waiting for it to end (--wait)')}\n`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export function registerDeploy(program: Command, run: Runner): void {
  skip(
    detach(
      withEnvironment(
        program
          .command('deploy')
          .description('deploy an image (a version or digest in the project repository) as a new release')
          .option('--version <version>', 'image version tag')
          .option('--digest <digest>', 'image digest')
          .option('--supersede', 'end a deploy of this environment in progress instead of refusing (undone before its traffic switch, completed after it)')
          .option('--wait', 'while another deploy of this environment runs, wait for it to end, then deploy'),
      ),
    ),
  ).action(
    run(async (ctx) => {
      const path = apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'environments', required(ctx, 'env'), 'deployments');
      const body: DeployBody = {};
      if (typeof ctx.opts.version === 'string') body.version = ctx.opts.version;
      if (typeof ctx.opts.digest === 'string') body.digest = ctx.opts.digest;
      if (ctx.opts.supersede === true) body.supersede = true;
      if (ctx.opts.skipApproval === true) body.skipApproval = true;
      await started(ctx, await requestWaiting(ctx, path, body), 'the deploy');
    }),
  );

  detach(withEnvironment(program.command('scale <replicas>').description('run N replicas of the release that runs, at once and without downtime (no new release)'))).action(
    run(async (ctx, [n]) => {
      const replicas = Number(n);
      if (!Number.isInteger(replicas)) throw new SlipwayError('SLW_USAGE', `'${n}' is not a whole number of replicas`);
      const path = apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'environments', required(ctx, 'env'), 'scale');
      const { deployment } = await ctx.client.request<ScaleStarted>('POST', path, { replicas });
      await follow(ctx, deployment);
    }),
  );

  skip(detach(withProject(program.command('promote').description("deploy the image of one environment's current release to another, with its own config; no build").requiredOption('--from <env>', 'source environment').requiredOption('--to <env>', 'target environment')))).action(
    run(async (ctx) => {
      const path = apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'promotions');
      const body: PromoteBody = { from: String(ctx.opts.from), to: String(ctx.opts.to), ...(ctx.opts.skipApproval === true ? { skipApproval: true } : {}) };
      const { promotion, deployment } = await ctx.client.request<PromotionStarted>('POST', path, body);
      if (!deployment) {
        emit(ctx.io, ctx.json, { promotion }, () =>
          promotion.status === 'testing'
            ? `promotion ${promotion.id} of ${promotion.version ?? short(promotion.imageDigest)} from ${promotion.from} to ${promotion.to} waits for its pipeline gate (tests against this image); it deploys once they pass: slipway promotion show ${promotion.id} -w ${required(ctx, 'workspace')}`
            : `promotion ${promotion.id} of ${promotion.version ?? short(promotion.imageDigest)} from ${promotion.from} to ${promotion.to} waits for approval: an admin runs 'slipway approve ${promotion.id} -w ${required(ctx, 'workspace')}'`,
        );
        return;
      }
      await follow(ctx, deployment, { promotion });
    }),
  );

  detach(withWorkspace(program.command('approve <request>').description('approve a promotion, deploy or rollback waiting for approval, then follow its deploy'))).action(
    run(async (ctx, [id]) => {
      const { promotion, deployment } = await ctx.client.request<PromotionStarted>('POST', apiPath('workspaces', required(ctx, 'workspace'), 'promotions', id!, 'approve'));
      if (!deployment && promotion.status === 'testing') {
        emit(ctx.io, ctx.json, { promotion }, () => `${promotion.kind} ${promotion.id} approved; its pipeline gate runs against the image now, and it deploys once that passes: slipway promotion show ${promotion.id} -w ${required(ctx, 'workspace')}`);
        return;
      }
      if (!deployment) throw new SlipwayError('SLW_PROMOTION_STATE', `request ${promotion.id} is ${promotion.status}`);
      await follow(ctx, deployment, { promotion });
    }),
  );

  withWorkspace(program.command('reject <request>').description('reject a promotion, deploy or rollback waiting for approval').option('--reason <text>', 'why')).action(
    run(async (ctx, [id]) => {
      const body: RejectBody = typeof ctx.opts.reason === 'string' ? { reason: ctx.opts.reason } : {};
      const { promotion } = await ctx.client.request<PromotionStarted>('POST', apiPath('workspaces', required(ctx, 'workspace'), 'promotions', id!, 'reject'), body);
      emit(ctx.io, ctx.json, { promotion }, () => `${promotion.kind} ${promotion.id} rejected`);
    }),
  );

  skip(
    detach(
      withEnvironment(
        program
          .command('rollback')
          .description("a new release with an earlier release's image and config (default: the previous successful one); supersedes a deploy in progress, and makes that config the environment's current one")
          .option('--to <n>', 'release number to go back to'),
      ),
    ),
  ).action(
    run(async (ctx) => {
      const path = apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'environments', required(ctx, 'env'), 'rollback');
      const body: RollbackBody = ctx.opts.to === undefined ? {} : { to: Number(ctx.opts.to) };
      if (ctx.opts.skipApproval === true) body.skipApproval = true;
      await started(ctx, await ctx.client.request<Started>('POST', path, body), 'the rollback');
    }),
  );

  withProject(program.command('status').description("each environment's running release and health")).action(
    run(async (ctx) => {
      const result = await ctx.client.request<ProjectStatus>('GET', apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'status'));
      emit(ctx.io, ctx.json, result, () =>
        [
          table(
            ['ENV', 'RELEASE', 'VERSION', 'DIGEST', 'READY', 'HEALTH', 'TARGET', 'DOMAIN', 'DEPLOYING'],
            result.environments.map((e) => [e.name, e.release ? `#${e.release.number}` : null, e.release?.version, e.release ? short(e.release.imageDigest) : null, `${e.replicas.ready}/${e.replicas.desired}`, e.health, e.target, e.domain, e.deploying ? `${e.deploying.kind === 'scale' ? 'scale' : `#${e.deploying.releaseNumber}`} ${e.deploying.phase}` : null]),
          ),
          // Why an environment is not all ready (e.g. its server was revoked), one line each.
          ...result.environments.filter((e) => e.release && e.health !== 'healthy' && e.replicas.message).map((e) => `${e.name}: ${e.replicas.message}`),
          // The health gate of each environment's latest gated release: baking now, or how it ended.
          ...result.environments.flatMap((e) => (e.healthGate ? [`${e.name}: health gate of release #${e.healthGate.releaseNumber} ${healthLine(e.healthGate)}`] : [])),
        ].join('\n'),
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
        const pruned = prunedLine(end.logsPrunedAt);
        if (ctx.json) emit(ctx.io, true, { events, end }, () => '');
        else if (pruned) process.stderr.write(`${pc.yellow(pruned)}\n`);
        return;
      }
      const end = await followEvents(ctx.client, `${path}?follow=false`, (e) => events.push(e), { maxRetries: 0 });
      const pruned = prunedLine(end.logsPrunedAt);
      emit(ctx.io, ctx.json, { events, end }, () => [...events.map((e) => `${shortTime(e.at)} ${e.step.padEnd(9)} ${e.message}`), ...(pruned ? [pc.yellow(pruned)] : [])].join('\n'));
    }),
  );
}
