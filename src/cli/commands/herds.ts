/**
 * `slipway herd …`: herd upgrades of an application's sites — plan (`--dry-run`), start, watch
 * (`status --follow`, `upgrade --wait`: woken by the workspace change stream), pause, resume,
 * abort, a staged site's approval, and a site's step log.
 *
 * @module
 */
import type { Command } from 'commander';
import type { HerdPlan, HerdSiteEvents, HerdUpgrade, HerdUpgradeBody, HerdUpgradeList } from '../../api/herds.js';
import { SlipwayError } from '../../core/errors.js';
import { apiPath } from '../client.js';
import { required, wholeNumber, withWorkspace, type Ctx, type Runner } from '../context.js';
import { emit, pc, prunedLine, shortTime, table } from '../output.js';
import { changeWaiter } from '../sse.js';

const appPath = (ctx: Ctx, ...rest: string[]) => apiPath('workspaces', required(ctx, 'workspace'), 'applications', appOf(ctx), 'upgrades', ...rest);
const upgradePath = (ctx: Ctx, id: string, ...rest: string[]) => apiPath('workspaces', required(ctx, 'workspace'), 'upgrades', id, ...rest);

function appOf(ctx: Ctx): string {
  const a = ctx.opts.app;
  if (typeof a === 'string' && a.length > 0) return a;
  throw new SlipwayError('SLW_USAGE', 'missing application: pass -a/--app NAME');
}

const withApp = (cmd: Command) => withWorkspace(cmd).option('-a, --app <name>', 'the application');

const ended = new Set(['done', 'reverted', 'revert-failed', 'rejected', 'skipped']);

function waveLine(u: HerdUpgrade, w: HerdUpgrade['waves'][number]): string {
  const steps = Object.entries(w.steps)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return `  wave ${w.index} (${w.kind}, ${w.sites} site${w.sites === 1 ? '' : 's'})${u.wave === w.index ? pc.bold(' ←') : ''}: ${steps}`;
}

export function describeUpgrade(u: HerdUpgrade, all = false): string {
  const o = u.options;
  const lines = [
    `herd upgrade ${u.id} of ${u.application} to ${u.to}: ${pc.bold(u.state)}${u.reason ? ` — ${u.reason}` : ''}`,
    `  sites ${u.selector ?? '(all)'} · canary ${o.canary} · batch ${o.batch} · parallel ${o.parallel} · bake ${o.bakeSeconds}s · failures ${u.failures} of ${u.failureBudget} tolerated${o.window ? ` · window ${o.window}` : ''}`,
    ...u.waves.map((w) => waveLine(u, w)),
  ];
  const shown = all ? u.sites : u.sites.filter((s) => !ended.has(s.step) && s.step !== 'pending').concat(u.sites.filter((s) => s.step === 'reverted' || s.step === 'revert-failed'));
  if (shown.length > 0) lines.push(table(['SITE', 'WAVE', 'STEP', 'FROM', 'NOTE'], shown.map((s) => [s.site, s.wave < 0 ? '-' : s.wave, s.step, s.fromVersion ?? '-', s.error ?? (s.clone ? `clone ${s.clone}` : '')])));
  return lines.join('\n');
}

function planText(p: HerdPlan): string {
  const lines = [`plan: ${p.application} to ${p.to}, ${p.waves.reduce((n, w) => n + w.sites.length, 0)} site(s) in ${p.waves.length} wave(s); ${p.failureBudget} failure(s) tolerated`];
  for (const w of p.waves) lines.push(`  wave ${w.index} (${w.kind}): ${w.sites.length > 12 ? `${w.sites.slice(0, 12).join(', ')} … (+${w.sites.length - 12})` : w.sites.join(', ')}`);
  if (p.skipped.length > 0) lines.push(`  already on ${p.to}: ${p.skipped.length} site(s)`);
  return lines.join('\n');
}

const finished = (u: HerdUpgrade) => u.finishedAt !== null;

/**
 * Reads the upgrade again whenever the workspace change stream says it changed (at most about
 * four times a second) or says it may have missed changes (`resync`), and every 5 s besides (a
 * change the servers could not relay to each other, e.g. while the store was unreachable, is on
 * no stream); every second when the stream could not be opened or has closed.
 */
async function follow(ctx: Ctx, id: string): Promise<HerdUpgrade> {
  const watch = await changeWaiter(ctx.client, apiPath('workspaces', required(ctx, 'workspace'), 'events'), (c) => c.kind === 'upgrade' && c.id === id);
  let last = '';
  try {
    for (;;) {
      const u = await ctx.client.request<HerdUpgrade>('GET', upgradePath(ctx, id));
      if (!ctx.json) {
        const line = `${shortTime(u.updatedAt)} ${u.state}${u.wave === null ? '' : ` · wave ${u.wave}`} · ${u.sites.filter((s) => s.step === 'done').length}/${u.sites.filter((s) => s.wave >= 0).length} done · ${u.failures} failed`;
        if (line !== last) process.stderr.write(`${line}\n`);
        last = line;
      }
      if (finished(u) || u.state === 'paused' || (u.state !== 'running' && u.sites.every((s) => s.step !== 'awaiting-approval' && (ended.has(s.step) || s.step === 'pending')))) return u;
      await watch.next(watch.live() ? 5_000 : 1_000);
    }
  } finally {
    watch.close();
  }
}

export function registerHerds(program: Command, run: Runner): void {
  const herd = program.command('herd').description("herd upgrades: move an application's sites to a version in waves (backup, migration, deploy, bake; revert on failure)");

  withApp(
    herd
      .command('upgrade')
      .description('upgrade the sites of an application to a version in waves (canaries first, then batches)')
      .requiredOption('--to <version>', 'the version to move the sites to')
      .option('--sites <selector>', 'which sites: k=v, k!=v, k=a|b, k, !k (labels, name, version, channel); default all')
      .option('--canary <n>', 'sites upgraded alone first (default 1)')
      .option('--batch <n|p%>', 'sites per wave after the canaries (default 25%)')
      .option('--parallel <n>', 'sites worked on at once (default 5)')
      .option('--bake <duration>', 'health gate after each switch: 30s, 5m, 0 for none (default 30s)')
      .option('--failure-budget <n|p%>', 'failed sites tolerated; one more halts the upgrade (default 0)')
      .option('--window <cron>', 'cron expression (UTC) of the minutes sites may start in')
      .option('--allow-downgrade', 'allow moving sites to an older version')
      .option('--dry-run', 'show the waves, start nothing')
      .option('--wait', 'follow the upgrade until it ends (or pauses, or waits for approvals)'),
  ).action(
    run(async (ctx) => {
      const o = ctx.opts;
      const int = (v: unknown, flag: string) => (v === undefined ? undefined : wholeNumber(flag, v));
      const body: HerdUpgradeBody = {
        to: String(o.to),
        ...(o.sites !== undefined ? { sites: String(o.sites) } : {}),
        ...(o.canary !== undefined ? { canary: int(o.canary, '--canary') } : {}),
        ...(o.batch !== undefined ? { batch: String(o.batch) } : {}),
        ...(o.parallel !== undefined ? { parallel: int(o.parallel, '--parallel') } : {}),
        ...(o.bake !== undefined ? { bake: String(o.bake) } : {}),
        ...(o.failureBudget !== undefined ? { failureBudget: String(o.failureBudget) } : {}),
        ...(o.window !== undefined ? { window: String(o.window) } : {}),
        ...(o.allowDowngrade ? { allowDowngrade: true } : {}),
      };
      if (o.dryRun) {
        const plan = await ctx.client.request<HerdPlan>('POST', appPath(ctx, 'plan'), body);
        emit(ctx.io, ctx.json, plan, () => planText(plan));
        return;
      }
      let u = await ctx.client.request<HerdUpgrade>('POST', appPath(ctx), body);
      if (!ctx.json) process.stderr.write(`started herd upgrade ${u.id} (follow it: slipway herd status ${u.id} --follow)\n`);
      if (o.wait) u = await follow(ctx, u.id);
      emit(ctx.io, ctx.json, u, () => describeUpgrade(u));
    }),
  );
  withWorkspace(herd.command('status <id>').description("an upgrade's state, each wave's progress and the sites in flight").option('--all', 'every site, not only those in flight or failed').option('--follow', 'until it ends (or pauses, or waits for approvals)')).action(
    run(async (ctx, [id]) => {
      const u = ctx.opts.follow ? await follow(ctx, id ?? '') : await ctx.client.request<HerdUpgrade>('GET', upgradePath(ctx, id ?? ''));
      emit(ctx.io, ctx.json, u, () => describeUpgrade(u, Boolean(ctx.opts.all)));
    }),
  );
  withApp(herd.command('list').description("an application's herd upgrades, newest first")).action(
    run(async (ctx) => {
      const r = await ctx.client.request<HerdUpgradeList>('GET', appPath(ctx));
      emit(ctx.io, ctx.json, r, () => (r.upgrades.length === 0 ? 'no herd upgrades yet' : table(['ID', 'TO', 'STATE', 'FAILURES', 'TRIGGER', 'STARTED'], r.upgrades.map((u) => [u.id, u.to, u.state, `${u.failures}/${u.failureBudget}`, u.trigger, shortTime(u.createdAt)]))));
    }),
  );
  for (const verb of ['pause', 'resume'] as const) {
    withWorkspace(herd.command(`${verb} <id>`).description(verb === 'pause' ? 'start no more sites (those in flight finish)' : 'go on with a paused upgrade, or a halted one (its failed sites are tried again with the budget afresh)')).action(
      run(async (ctx, [id]) => {
        const u = await ctx.client.request<HerdUpgrade>('POST', upgradePath(ctx, id ?? '', verb));
        emit(ctx.io, ctx.json, u, () => describeUpgrade(u));
      }),
    );
  }
  withWorkspace(herd.command('abort <id>').description('end the upgrade: no more sites start, sites in flight finish').option('--revert', 'also move every site it finished back (previous release, backups restored: data written since is lost)')).action(
    run(async (ctx, [id]) => {
      const u = await ctx.client.request<HerdUpgrade>('POST', upgradePath(ctx, id ?? '', 'abort'), { revert: Boolean(ctx.opts.revert) });
      emit(ctx.io, ctx.json, u, () => describeUpgrade(u));
    }),
  );
  for (const verb of ['approve', 'reject'] as const) {
    withWorkspace(herd.command(`${verb} <id>`).description(verb === 'approve' ? "cut a staged site over to the version its clone runs" : 'keep a staged site on its version and remove its clone').requiredOption('--site <name>', 'the staged site')).action(
      run(async (ctx, [id]) => {
        const u = await ctx.client.request<HerdUpgrade>('POST', upgradePath(ctx, id ?? '', 'sites', String(ctx.opts.site), verb));
        emit(ctx.io, ctx.json, u, () => `${verb === 'approve' ? 'approved' : 'rejected'} site ${String(ctx.opts.site)}\n${describeUpgrade(u)}`);
      }),
    );
  }
  withWorkspace(herd.command('logs <id>').description("one site's step log in an upgrade").requiredOption('--site <name>', 'the site')).action(
    run(async (ctx, [id]) => {
      const r = await ctx.client.request<HerdSiteEvents>('GET', upgradePath(ctx, id ?? '', 'sites', String(ctx.opts.site), 'events'));
      const pruned = prunedLine(r.logsPrunedAt);
      const lines = r.events.map((e) => `${pc.dim(e.at.slice(11, 19))} ${pc.bold(e.step.padEnd(17))} ${e.message}`);
      emit(ctx.io, ctx.json, r, () => (pruned ? [...lines, pc.yellow(pruned)].join('\n') : lines.length === 0 ? `no steps of ${r.site} yet` : lines.join('\n')));
    }),
  );
}
