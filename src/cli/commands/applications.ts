/** `slipway app …`: applications (versioned products backed by a project) and their versions. */
import type { Command } from 'commander';
import type { Application, ApplicationList, ApplicationVersionList, PollResult } from '../../api/applications.js';
import type { Deleted } from '../../api/common.js';
import { SlipwayError } from '../../core/errors.js';
import { parseDuration } from '../../core/manifest.js';
import { apiPath } from '../client.js';
import { required, withWorkspace, type Runner } from '../context.js';
import { emit, shortTime, table } from '../output.js';
import { continuousLine } from './app-notifications.js';

function describe(a: Application): string {
  const source = a.source === 'upstream' ? `upstream ${a.upstream} (polled every ${a.pollSeconds}s, last ${a.lastPolledAt ? shortTime(a.lastPolledAt) : 'never'})` : `project ${a.project}`;
  const lines = [`application ${a.name}: ${source}`, `latest: ${a.latest ?? 'none yet'} (${a.versions} version${a.versions === 1 ? '' : 's'})`];
  if (a.source === 'upstream') lines.push(`images in project ${a.project}`);
  if (a.lastError) lines.push(`last poll: ${a.lastError}`);
  lines.push(a.notifyUrl === null ? 'notifications: kept, not sent (no notify URL)' : `notifications: POSTed to ${a.notifyUrl}`);
  lines.push(continuousLine(a.continuous));
  return lines.join('\n');
}

export function registerApplications(program: Command, run: Runner): void {
  const app = program.command('app').description('applications: versioned products run for many customers (from a project, or an upstream repository)');
  const path = (ctx: Parameters<Parameters<Runner>[0]>[0], ...rest: string[]) => apiPath('workspaces', required(ctx, 'workspace'), 'applications', ...rest);

  withWorkspace(
    app
      .command('create <name>')
      .description("create an application: --from-project P (its semver tags are the versions) or --upstream REGISTRY/REPO (its semver tags are imported by digest as they appear)")
      .option('--from-project <project>', 'the project whose images are the versions')
      .option('--upstream <repository>', 'a repository in another registry, without a tag (credentials: slipway registry-credential)')
      .option('--poll <duration>', 'how often the upstream is checked (30s to 7 days; default 5m)'),
  ).action(
    run(async (ctx, [name]) => {
      const poll = ctx.opts.poll === undefined ? undefined : Math.round(parseDuration(String(ctx.opts.poll)));
      const a = await ctx.client.request<Application>('POST', path(ctx), {
        name,
        ...(ctx.opts.fromProject !== undefined ? { fromProject: String(ctx.opts.fromProject) } : {}),
        ...(ctx.opts.upstream !== undefined ? { upstream: String(ctx.opts.upstream) } : {}),
        ...(poll !== undefined ? { pollSeconds: poll } : {}),
      });
      emit(ctx.io, ctx.json, a, () => `created ${describe(a)}`);
    }),
  );
  withWorkspace(app.command('list').description("the workspace's applications with their latest version")).action(
    run(async (ctx) => {
      const { applications } = await ctx.client.request<ApplicationList>('GET', path(ctx));
      emit(ctx.io, ctx.json, { applications }, () =>
        table(['NAME', 'SOURCE', 'LATEST', 'VERSIONS', 'LAST POLL'], applications.map((a) => [a.name, a.source === 'upstream' ? a.upstream : `project ${a.project}`, a.latest ?? '-', a.versions, a.source === 'upstream' ? (a.lastError ? `failed: ${a.lastError}` : shortTime(a.lastPolledAt)) : '-'])),
      );
    }),
  );
  withWorkspace(app.command('show <name>').description('one application')).action(
    run(async (ctx, [name]) => {
      const a = await ctx.client.request<Application>('GET', path(ctx, name ?? ''));
      emit(ctx.io, ctx.json, a, () => describe(a));
    }),
  );
  withWorkspace(app.command('versions <name>').description('its versions, highest first: class against the previous release, channel, digest').option('--channel <channel>', 'only this channel (stable, beta, rc…)')).action(
    run(async (ctx, [name]) => {
      const q = ctx.opts.channel !== undefined ? `?channel=${encodeURIComponent(String(ctx.opts.channel))}` : '';
      const r = await ctx.client.request<ApplicationVersionList>('GET', `${path(ctx, name ?? '', 'versions')}${q}`);
      emit(ctx.io, ctx.json, r, () =>
        r.versions.length === 0 ? `no versions of ${r.application} yet (semver tags such as 1.4.2 are versions; other tags are not)` : table(['VERSION', 'CLASS', 'CHANNEL', 'DIGEST', 'SEEN'], r.versions.map((v) => [v.latest ? `${v.version} (latest)` : v.version, v.class, v.channel, v.digest.slice(0, 19), shortTime(v.discoveredAt)])),
      );
    }),
  );
  withWorkspace(app.command('poll <name>').description('check the upstream for new versions now')).action(
    run(async (ctx, [name]) => {
      const r = await ctx.client.request<PollResult>('POST', path(ctx, name ?? '', 'poll'));
      emit(ctx.io, ctx.json, r, () =>
        [
          r.imported.length === 0 ? 'no new versions' : `imported ${r.imported.map((i) => i.version).join(', ')}`,
          ...r.failed.map((f) => `not imported ${f.version}: ${f.error}`),
          ...(r.pending > 0 ? [`${r.pending} more at the next poll`] : []),
        ].join('\n'),
      );
    }),
  );
  withWorkspace(app.command('remove <name>').description('forget an application and its version list (its project, images and environments stay)').option('--confirm <name>', 'the application name again, to confirm')).action(
    run(async (ctx, [name]) => {
      if (ctx.opts.confirm !== name) throw new SlipwayError('SLW_USAGE', `removing application '${name}' forgets its versions; to go ahead, repeat its name: --confirm ${name}`);
      const r = await ctx.client.request<Deleted>('DELETE', path(ctx, name ?? ''));
      emit(ctx.io, ctx.json, r, () => `removed application ${r.deleted} (its project and images stay)`);
    }),
  );
}
