/** `slipway config …` and `slipway secret …`: overlays and write-only secrets. */
import type { Command } from 'commander';
import type { DeploymentRef } from '../../api/common.js';
import type { ConfigChanged, ConfigHistory, EnvironmentConfigChanged, ResolvedConfig } from '../../api/config.js';
import type { EnvironmentSecretSet, SecretInfo, SecretList, SecretUnset } from '../../api/secrets.js';
import { parseAssignments } from '../../core/config.js';
import { apiPath } from '../client.js';
import { envOption, required, withEnvironment, type Ctx, type Runner } from '../context.js';
import { emit, shortTime, table } from '../output.js';
import { readSecretValue } from '../stdin.js';

/** A base layer's change says no more; an environment's also says which release it rolled. */
type Change = ConfigChanged & Partial<Pick<EnvironmentConfigChanged, 'deployment'>>;
type SecretSet = SecretInfo & Partial<Pick<EnvironmentSecretSet, 'deployment'>>;

/** `?restart=false` with --no-restart on an environment layer. */
function restartParam(ctx: Ctx): string {
  return envOption(ctx) && ctx.opts.restart === false ? '?restart=false' : '';
}

/** What a change rolled, if the environment runs. */
function rolled(ctx: Ctx, d: DeploymentRef | undefined): string {
  return d ? `\nthe environment runs: rolling release #${d.releaseNumber} with the change (follow: slipway logs ${d.id} -w ${required(ctx, 'workspace')} --follow)` : '';
}

/** The API path of the base layer (no -e) or an environment. */
function scopePath(ctx: Ctx, ...rest: string[]): string {
  const env = envOption(ctx);
  const base = ['workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project')];
  return apiPath(...base, ...(env ? ['environments', env] : []), ...rest);
}

function layerName(ctx: Ctx): string {
  const env = envOption(ctx);
  return env ? `environment ${env}` : 'the project base layer';
}

/** Who changes a layer that feeds an environment requiring approval (none: nothing to say). */
function guarded(requiresApprovalIn: string[] | undefined): string {
  return requiresApprovalIn?.length ? `\nchanged by admins and owners only: ${requiresApprovalIn.join(', ')} require${requiresApprovalIn.length === 1 ? 's' : ''} approval` : '';
}

function changeText(ctx: Ctx, r: Change): string {
  return r.changed ? `config version ${r.version}: updated ${r.keys.join(', ')} in ${layerName(ctx)}${rolled(ctx, r.deployment)}` : `no change (${layerName(ctx)} already had these values; config version stays ${r.version})`;
}

export function registerConfig(program: Command, run: Runner): void {
  const config = program.command('config').description('config overlays: project base layer plus one layer per environment');
  withEnvironment(config.command('set <assignments...>').description('set KEY=VALUE pairs (no -e: the project base layer)').option('--no-restart', 'stage the change for the next release instead of rolling one now'), 'environment layer (default: base layer)').action(
    run(async (ctx, assignments) => {
      const r = await ctx.client.request<Change>('PATCH', `${scopePath(ctx, 'config')}${restartParam(ctx)}`, { set: parseAssignments(assignments) });
      emit(ctx.io, ctx.json, r, () => changeText(ctx, r));
    }),
  );
  withEnvironment(config.command('unset <keys...>').description('remove keys from a layer (no -e: the project base layer)').option('--no-restart', 'stage the change for the next release instead of rolling one now'), 'environment layer (default: base layer)').action(
    run(async (ctx, keys) => {
      const r = await ctx.client.request<Change>('PATCH', `${scopePath(ctx, 'config')}${restartParam(ctx)}`, { unset: keys });
      emit(ctx.io, ctx.json, r, () => changeText(ctx, r));
    }),
  );
  withEnvironment(config.command('get').description("an environment's resolved config with each value's layer (no -e: the base layer)"), 'environment (default: base layer)').action(
    run(async (ctx) => {
      const r = await ctx.client.request<ResolvedConfig>('GET', scopePath(ctx, 'config'));
      emit(ctx.io, ctx.json, r, () => `${table(['KEY', 'VALUE', 'LAYER'], r.entries.map((e) => [e.key, e.value, e.layer]))}\nconfig version ${r.version}${guarded(r.requiresApprovalIn)}`);
    }),
  );
  withEnvironment(config.command('history').description('config versions, newest first (keys only)').option('--limit <n>', 'how many', '50').option('--before <version>', 'only versions older than this one (the next page)'), 'environment (default: base layer only)').action(
    run(async (ctx) => {
      const q = new URLSearchParams({ limit: String(ctx.opts.limit) });
      if (typeof ctx.opts.before === 'string') q.set('before', ctx.opts.before);
      const r = await ctx.client.request<ConfigHistory>('GET', `${scopePath(ctx, 'config', 'history')}?${q.toString()}`);
      emit(ctx.io, ctx.json, r, () => {
        const rows = table(['VERSION', 'LAYER', 'AT', 'BY', 'ADDED', 'CHANGED', 'REMOVED'], r.versions.map((v) => [v.version, v.layer, shortTime(v.at), v.by, v.added.join(' '), v.changed.join(' '), v.removed.join(' ')]));
        return r.next === null ? rows : `${rows}\nolder versions: add --before ${r.next}`;
      });
    }),
  );

  const secret = program.command('secret').description('secrets: encrypted at rest, write-only (values never come back)');
  withEnvironment(secret.command('set <key>').description('set a secret; the value is read from stdin (no -e: the project base layer)').option('--no-restart', 'stage the change for the next release instead of rolling one now'), 'environment layer (default: base layer)').action(
    run(async (ctx, [key]) => {
      const value = await readSecretValue(key ?? '');
      const s = await ctx.client.request<SecretSet>('PUT', `${scopePath(ctx, 'secrets', key ?? '')}${restartParam(ctx)}`, { value });
      emit(ctx.io, ctx.json, s, () => `secret ${s.name} set in ${layerName(ctx)} (version ${s.version})${rolled(ctx, s.deployment)}`);
    }),
  );
  withEnvironment(secret.command('list').description('secret names and versions (no -e: the project base layer)'), 'environment (default: base layer)').action(
    run(async (ctx) => {
      const { secrets, requiresApprovalIn } = await ctx.client.request<SecretList>('GET', scopePath(ctx, 'secrets'));
      emit(ctx.io, ctx.json, { secrets, requiresApprovalIn }, () => `${table(['NAME', 'VERSION', 'LAYER', 'UPDATED', 'BY'], secrets.map((s) => [s.name, s.version, s.layer, shortTime(s.updatedAt), s.updatedBy]))}${guarded(requiresApprovalIn)}`);
    }),
  );
  withEnvironment(secret.command('unset <key>').description('delete a secret (older versions stay for rollback)'), 'environment layer (default: base layer)').action(
    run(async (ctx, [key]) => {
      const r = await ctx.client.request<SecretUnset>('DELETE', scopePath(ctx, 'secrets', key ?? ''));
      emit(ctx.io, ctx.json, r, () => `secret ${r.name} deleted from ${layerName(ctx)}`);
    }),
  );
}
