/** `slipway site …`: an application's sites (its environments, one per customer) with labels, a channel, a policy and a maintenance window. */
import type { Command } from 'commander';
import type { Deleted } from '../../api/common.js';
import type { DeploymentInProject } from '../../api/deploy.js';
import type { CreateSiteBody, Site, SiteCreated, SiteList, UpdateSiteBody } from '../../api/sites.js';
import { SlipwayError } from '../../core/errors.js';
import { parseLabelEdits } from '../../core/sites.js';
import { apiPath } from '../client.js';
import { required, withWorkspace, type Ctx, type Runner } from '../context.js';
import { emit, pc, shortTime, table } from '../output.js';
import { followEvents } from '../sse.js';
import { printLog } from './deploy.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function withApp(cmd: Command): Command {
  return withWorkspace(cmd).option('-a, --app <name>', 'the application');
}

function app(ctx: Ctx): string {
  const a = ctx.opts.app;
  if (typeof a === 'string' && a.length > 0) return a;
  throw new SlipwayError('SLW_USAGE', 'missing application: pass -a/--app NAME');
}

const sitesPath = (ctx: Ctx, ...rest: string[]) => apiPath('workspaces', required(ctx, 'workspace'), 'applications', app(ctx), 'sites', ...rest);

const labelText = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');

function describe(s: Site): string {
  const lines = [
    `site ${s.name} of ${s.application} (environment ${s.name} of project ${s.project})`,
    `version: ${s.version ?? 'none deployed'}${s.release !== null ? ` (release #${s.release})` : ''}`,
    `state: ${s.state}${s.deploying ? ` (release #${s.deploying.releaseNumber}, ${s.deploying.status} ${s.deploying.phase}: slipway logs ${s.deploying.id} --follow)` : ''}; replicas ${s.replicas.ready}/${s.replicas.desired} ready`,
    `domain: ${s.domain}`,
    `labels: ${labelText(s.labels) || '(none)'}`,
    `channel: ${s.channel}; policy: ${s.policy}; window: ${s.window ?? 'any time'}`,
  ];
  return lines.join('\n');
}

/** `--label k=v` for a new site. */
function labelsOf(args: string[]): Record<string, string> {
  const { set, unset } = parseLabelEdits(args);
  if (unset.length > 0) throw new SlipwayError('SLW_INVALID_LABEL', `--label ${unset[0]}- removes a label; a new site has none to remove (give key=value)`);
  return set;
}

export function registerSites(program: Command, run: Runner): void {
  const site = program.command('site').description("an application's sites: its environments, one per customer (every -p P -e ENV command takes -a APP -e SITE)");

  withApp(
    site
      .command('create <name>')
      .description('create a site and deploy the version given, else the latest on its channel; follows the deploy (--detach: returns at once)')
      .option('--version <version>', 'a version of the application (default: the latest on its channel)')
      .option('--label <key=value>', 'a label (repeatable): customer, region, plan…', collect)
      .option('--channel <channel>', 'stable (default), or a pre-release channel such as beta')
      .option('--policy <policy>', 'manual (default), continuous or staged')
      .option('--window <cron>', "maintenance window: five cron fields in UTC, e.g. '0 2 * * sun'")
      .option('--no-deploy', 'create it without deploying anything')
      .option('--detach', 'return once the deploy is queued; do not follow it'),
  ).action(
    run(async (ctx, [name]) => {
      const body: CreateSiteBody = { name: name ?? '' };
      if (typeof ctx.opts.version === 'string') body.version = ctx.opts.version;
      if (Array.isArray(ctx.opts.label)) body.labels = labelsOf(ctx.opts.label as string[]);
      if (typeof ctx.opts.channel === 'string') body.channel = ctx.opts.channel;
      if (typeof ctx.opts.policy === 'string') body.policy = ctx.opts.policy as CreateSiteBody['policy'];
      if (typeof ctx.opts.window === 'string') body.window = ctx.opts.window;
      if (ctx.opts.deploy === false) body.deploy = false;
      const created = await ctx.client.request<SiteCreated>('POST', sitesPath(ctx), body);
      const workspace = required(ctx, 'workspace');
      const d = created.deployment;
      if (!d || ctx.opts.detach === true) {
        emit(ctx.io, ctx.json, created, () => {
          const head = `created ${describe(created.site)}`;
          if (d) return `${head}\ndeploying ${created.version} as release #${d.releaseNumber} (deployment ${d.id}); follow it with 'slipway logs ${d.id} -w ${workspace} --follow'`;
          if (created.approval) return `${head}\nthe deploy of ${created.version} waits for ${created.approval.status === 'testing' ? 'its pipeline gate' : 'approval'} (request ${created.approval.id})`;
          return `${head}\n${created.note ?? ''}`;
        });
        return;
      }
      const end = await followEvents(ctx.client, apiPath('workspaces', workspace, 'deployments', d.id, 'events'), ctx.json ? () => undefined : printLog);
      const deployment = await ctx.client.request<DeploymentInProject>('GET', apiPath('workspaces', workspace, 'deployments', d.id));
      const now = await ctx.client.request<Site>('GET', sitesPath(ctx, created.site.name));
      emit(ctx.io, ctx.json, { ...created, site: now, deployment }, () =>
        end.status === 'succeeded' ? `${pc.green(`site ${now.name} runs ${created.version}`)}\n${describe(now)}` : pc.red(`site ${now.name} was created, but its deploy of ${created.version} ${end.status === 'cancelled' ? 'was cancelled' : `failed: ${end.error ?? ''}`}`),
      );
      if (end.status !== 'succeeded') throw new SlipwayError('SLW_VALIDATION', `deployment ${d.id} of site ${now.name} ${end.status === 'cancelled' ? 'was cancelled' : 'failed'}: ${end.error ?? 'see slipway logs'}`);
    }),
  );

  withApp(site.command('list').description('the sites with their version, state, channel, policy and labels').option('--sites <selector>', 'only the sites this selector matches: region=eu,plan!=free,version=1.2.0,tier=gold|silver,!legacy')).action(
    run(async (ctx) => {
      const q = typeof ctx.opts.sites === 'string' ? `?sites=${encodeURIComponent(ctx.opts.sites)}` : '';
      const r = await ctx.client.request<SiteList>('GET', `${sitesPath(ctx)}${q}`);
      emit(ctx.io, ctx.json, r, () =>
        r.sites.length === 0
          ? q
            ? `no site of ${r.application} matches '${String(ctx.opts.sites)}'`
            : `${r.application} has no sites yet: slipway site create NAME -a ${r.application}`
          : table(['NAME', 'VERSION', 'STATE', 'CHANNEL', 'POLICY', 'WINDOW', 'LABELS'], r.sites.map((s) => [s.name, s.version ?? '-', s.state, s.channel, s.policy, s.window ?? '-', labelText(s.labels)])),
      );
    }),
  );

  withApp(site.command('show <name>').description('one site: version, state, domain, labels, channel, policy, window')).action(
    run(async (ctx, [name]) => {
      const s = await ctx.client.request<Site>('GET', sitesPath(ctx, name ?? ''));
      emit(ctx.io, ctx.json, s, () => `${describe(s)}\ncreated ${shortTime(s.createdAt)}`);
    }),
  );

  withApp(
    site
      .command('set <name>')
      .description("change a site's labels, channel, policy or window (labels reach its workloads at the next deploy or job run)")
      .option('--label <key=value|key->', 'set a label, or remove it with key- (repeatable)', collect)
      .option('--channel <channel>', 'stable, or a pre-release channel such as beta')
      .option('--policy <policy>', 'manual, continuous or staged')
      .option('--window <cron>', 'maintenance window: five cron fields in UTC')
      .option('--no-window', 'no maintenance window (any time)'),
  ).action(
    run(async (ctx, [name]) => {
      const body: UpdateSiteBody = {};
      if (Array.isArray(ctx.opts.label)) body.labels = parseLabelEdits(ctx.opts.label as string[]);
      if (typeof ctx.opts.channel === 'string') body.channel = ctx.opts.channel;
      if (typeof ctx.opts.policy === 'string') body.policy = ctx.opts.policy as UpdateSiteBody['policy'];
      if (typeof ctx.opts.window === 'string') body.window = ctx.opts.window;
      if (ctx.opts.window === false) body.window = null;
      if (Object.keys(body).length === 0) throw new SlipwayError('SLW_USAGE', 'nothing to change: give --label, --channel, --policy, --window or --no-window');
      const s = await ctx.client.request<Site>('PATCH', sitesPath(ctx, name ?? ''), body);
      emit(ctx.io, ctx.json, s, () => `updated ${describe(s)}${body.labels ? '\nlabel changes reach the site at its next deploy or job run' : ''}`);
    }),
  );

  withApp(site.command('remove <name>').description("remove a site: stops its containers and route, deletes its releases, config and secrets (as env delete); refused while a herd upgrade of the application runs").option('--yes', 'really remove it')).action(
    run(async (ctx, [name]) => {
      if (ctx.opts.yes !== true) throw new SlipwayError('SLW_USAGE', `removing site '${name}' removes what runs there and its history for good; to go ahead, add --yes`);
      const r = await ctx.client.request<Deleted>('DELETE', sitesPath(ctx, name ?? ''));
      emit(ctx.io, ctx.json, r, () => `removed site ${r.deleted}`);
    }),
  );
}
