/** `slipway app set|notifications|hook …`: an application's settings (notify URL, continuous options), its notifications, and its upstream hook. */
import type { Command } from 'commander';
import type { AppHookAnswer, AppHookStatus, NotificationList, UpdateApplicationAnswer, UpdateApplicationBody } from '../../api/app-notifications.js';
import type { Application } from '../../api/applications.js';
import type { Deleted } from '../../api/common.js';
import { SlipwayError } from '../../core/errors.js';
import { apiPath } from '../client.js';
import { required, wholeNumber, withWorkspace, type Ctx, type Runner } from '../context.js';
import { emit, shortTime, table } from '../output.js';
import { readHidden } from '../stdin.js';

/** The `app` command (made here, or the one applications made first). */
function appCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'app') ?? program.command('app').description('applications: versioned products run for many customers (from a project, or an upstream repository)');
}

function path(ctx: Ctx, name: string, ...rest: string[]): string {
  return apiPath('workspaces', required(ctx, 'workspace'), 'applications', name, ...rest);
}

function describeHook(a: AppHookAnswer | (AppHookStatus & { secret: null; created: false })): string {
  const h = a.hook!;
  const lines = [
    `${a.created ? 'created' : 'upstream'} hook of ${h.application}`,
    `url: ${a.url}`,
    a.secret
      ? `secret: ${a.secret}   (shown once: give it to the registry now, as the header Authorization: Bearer <secret>, or sign calls with X-Slipway-Signature; --rotate makes a new one)`
      : 'secret: (set; shown only when created or rotated: --rotate)',
    `calls: ${h.calls}${h.lastCalledAt ? `, last ${shortTime(h.lastCalledAt)}` : ''}`,
  ];
  if (h.failedVerifications > 0) lines.push(`refused calls (bad signature or secret): ${h.failedVerifications}, last ${shortTime(h.lastFailedAt)}`);
  return lines.join('\n');
}

/** The `--continuous-…` options as the API's `continuous` (undefined: none given). */
function continuousBody(o: Record<string, unknown>): UpdateApplicationBody['continuous'] {
  const given = ['continuousCanary', 'continuousBatch', 'continuousParallel', 'continuousBake', 'continuousBudget'].filter((k) => o[k] !== undefined);
  if (o.continuousDefaults === true) {
    if (given.length > 0) throw new SlipwayError('SLW_USAGE', '--continuous-defaults goes alone: it puts every --continuous-… option back to its default');
    return null;
  }
  if (given.length === 0) return undefined;
  return {
    ...(o.continuousCanary !== undefined ? { canary: wholeNumber('--continuous-canary', o.continuousCanary) } : {}),
    ...(o.continuousBatch !== undefined ? { batch: String(o.continuousBatch) } : {}),
    ...(o.continuousParallel !== undefined ? { parallel: wholeNumber('--continuous-parallel', o.continuousParallel) } : {}),
    ...(o.continuousBake !== undefined ? { bake: String(o.continuousBake) } : {}),
    ...(o.continuousBudget !== undefined ? { failureBudget: String(o.continuousBudget) } : {}),
  };
}

/** How automatic upgrades move, one line. */
export function continuousLine(c: Application['continuous']): string {
  return `automatic upgrades: ${c.canary} canary, batches of ${c.batch}, ${c.parallel} at once, bake ${c.bakeSeconds === 0 ? 'none' : `${c.bakeSeconds} s`}, failure budget ${c.failureBudget}${c.custom ? '' : ' (the defaults)'}`;
}

export function registerAppNotifications(program: Command, run: Runner): void {
  const app = appCommand(program);
  withWorkspace(
    app
      .command('set <name>')
      .description("change an application: where its notifications are POSTed (signed with a secret printed once), or no longer; how its automatic upgrades move")
      .option('--notify-url <url>', 'POST each notification here as JSON, signed (X-Slipway-Signature: sha256=<hex HMAC of the body>)')
      .option('--no-notify-url', 'stop sending notifications (the secret is removed too)')
      .option('--rotate-notify-secret', 'make a new notify secret (printed once)')
      .option('--notify-secret-stdin', 'read the notify secret from stdin instead of having Slipway make one (16 to 256 characters)')
      .option('--continuous-canary <n>', 'automatic upgrades (continuous sites): sites upgraded alone first (default 1)')
      .option('--continuous-batch <n|p%>', 'automatic upgrades: sites per wave after the canaries (default 25%)')
      .option('--continuous-parallel <n>', 'automatic upgrades: sites upgraded at once (default 5)')
      .option('--continuous-bake <duration>', "automatic upgrades: each site's bake after its switch, e.g. 30s, 2m; 0 for none (default 10s)")
      .option('--continuous-budget <n|p%>', 'automatic upgrades: failures tolerated before the upgrade halts (default 0)')
      .option('--continuous-defaults', 'automatic upgrades move as the defaults say again'),
  ).action(
    run(async (ctx, [name]) => {
      const o = ctx.opts;
      const body: UpdateApplicationBody = {};
      if (o.notifyUrl === false) body.notifyUrl = null;
      else if (typeof o.notifyUrl === 'string') body.notifyUrl = o.notifyUrl;
      if (o.rotateNotifySecret === true) body.rotateNotifySecret = true;
      const continuous = continuousBody(o);
      if (continuous !== undefined) body.continuous = continuous;
      if (o.notifySecretStdin === true) body.notifySecret = await readHidden('notify secret (input hidden): ', `the notify secret is empty: pipe it on stdin, e.g. printf %s "$SECRET" | slipway app set ${name} --notify-secret-stdin`);
      if (Object.keys(body).length === 0) throw new SlipwayError('SLW_USAGE', 'nothing to change: give --notify-url URL, --no-notify-url, --rotate-notify-secret, --notify-secret-stdin, or a --continuous-… option');
      const r = await ctx.client.request<UpdateApplicationAnswer>('PATCH', path(ctx, name ?? ''), body);
      emit(ctx.io, ctx.json, r, () => {
        const a = r.application;
        const lines = [a.notifyUrl === null ? `application ${a.name}: no notify URL (notifications are kept, not sent)` : `application ${a.name}: notifications are POSTed to ${a.notifyUrl}`];
        if (a.notifyUrl !== null) lines.push(r.notifySecret ? `notify secret: ${r.notifySecret}   (shown once: check X-Slipway-Signature with it; --rotate-notify-secret makes a new one)` : 'notify secret: (set; shown only when Slipway makes it)');
        if (body.continuous !== undefined) lines.push(continuousLine(a.continuous));
        return lines.join('\n');
      });
    }),
  );
  withWorkspace(app.command('notifications <name>').description('its notifications, newest first: new versions, upgrades, approvals, and whether the webhook got each').option('--limit <n>', 'at most this many (default 100)')).action(
    run(async (ctx, [name]) => {
      const limit = ctx.opts.limit === undefined ? '' : `?limit=${encodeURIComponent(String(ctx.opts.limit))}`;
      const r = await ctx.client.request<NotificationList>('GET', `${path(ctx, name ?? '', 'notifications')}${limit}`);
      emit(ctx.io, ctx.json, r, () =>
        r.notifications.length === 0
          ? `no notifications for ${r.application} yet`
          : table(
              ['WHEN', 'KIND', 'MESSAGE', 'WEBHOOK'],
              r.notifications.map((n) => [shortTime(n.createdAt), n.kind, n.message, n.webhook.state === null ? '-' : n.webhook.state === 'failed' || (n.webhook.state === 'pending' && n.webhook.error) ? `${n.webhook.state}: ${n.webhook.error ?? ''}` : n.webhook.state]),
            ),
      );
    }),
  );
  withWorkspace(
    app
      .command('hook <name>')
      .description("create or show the upstream application's hook (its registry calls it when a tag is pushed): prints its url, and its secret when created or rotated")
      .option('--rotate', 'make a new secret (printed once; the old one stops working)')
      .option('--delete', 'delete the hook (its URL answers 404 from then on; polling goes on)'),
  ).action(
    run(async (ctx, [name]) => {
      if (ctx.opts.delete === true) {
        const r = await ctx.client.request<Deleted>('DELETE', path(ctx, name ?? '', 'hook'));
        emit(ctx.io, ctx.json, r, () => `deleted upstream hook ${r.deleted}`);
        return;
      }
      if (ctx.opts.rotate !== true) {
        const s = await ctx.client.request<AppHookStatus>('GET', path(ctx, name ?? '', 'hook'));
        if (s.hook) {
          emit(ctx.io, ctx.json, { ...s.hook, url: s.url, secret: null, created: false }, () => describeHook({ ...s, secret: null, created: false }));
          return;
        }
      }
      const a = await ctx.client.request<AppHookAnswer>('PUT', path(ctx, name ?? '', 'hook'), ctx.opts.rotate === true ? { rotate: true } : {});
      emit(ctx.io, ctx.json, { ...a.hook, url: a.url, secret: a.secret, created: a.created }, () => describeHook(a));
    }),
  );
}
