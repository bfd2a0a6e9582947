/** `slipway project …` and `slipway env …`. */
import type { Command } from 'commander';
import type { Deleted, EnvironmentDeleted } from '../../api/common.js';
import type { Environment, EnvironmentList, Project, ProjectList } from '../../api/projects.js';
import { SlipwayError } from '../../core/errors.js';
import { registerEnvironmentSettings } from './environment-settings.js';
import { apiPath } from '../client.js';
import { required, withProject, withWorkspace, type Runner } from '../context.js';
import { emit, shortTime, table } from '../output.js';


export function registerProjects(program: Command, run: Runner): void {
  const project = program.command('project').description("projects: codebases with their tier's environments");
  withWorkspace(project.command('create <name>').description("create a project with its tier's default environments")).action(
    run(async (ctx, [name]) => {
      const p = await ctx.client.request<Project>('POST', apiPath('workspaces', required(ctx, 'workspace'), 'projects'), { name });
      emit(ctx.io, ctx.json, p, () => `created project ${p.name} with environments ${p.environments.join(', ')}`);
    }),
  );
  withWorkspace(project.command('list').description("the workspace's projects")).action(
    run(async (ctx) => {
      const { projects } = await ctx.client.request<ProjectList>('GET', apiPath('workspaces', required(ctx, 'workspace'), 'projects'));
      emit(ctx.io, ctx.json, { projects }, () => table(['NAME', 'ENVIRONMENTS', 'CONFIG VERSION', 'CREATED'], projects.map((p) => [p.name, p.environments.join(', '), p.configVersion, shortTime(p.createdAt)])));
    }),
  );
  withWorkspace(project.command('delete <name>').description('delete a project: stops its containers and routes, deletes its environments, releases, config, secrets and images (the audit log keeps the trail)').option('--confirm <name>', 'the project name again, to confirm')).action(
    run(async (ctx, [name]) => {
      confirm(ctx.opts.confirm, name ?? '', 'project');
      const r = await ctx.client.request<Deleted>('DELETE', apiPath('workspaces', required(ctx, 'workspace'), 'projects', name ?? ''));
      emit(ctx.io, ctx.json, r, () => `deleted project ${r.deleted}`);
    }),
  );

  const env = program.command('env').description("a project's environments");
  registerEnvironmentSettings(env, run);
  withProject(env.command('list').description('environments in pipeline order')).action(
    run(async (ctx) => {
      const { environments } = await ctx.client.request<EnvironmentList>('GET', apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'environments'));
      emit(ctx.io, ctx.json, { environments }, () => table(['NAME', 'KIND', 'DELETABLE', 'CREATED'], environments.map((e) => [e.name, e.kind, e.deletable ? 'yes' : 'no (tier default)', shortTime(e.createdAt)])));
    }),
  );
  withProject(env.command('create <name>').description('create an environment (custom ones need the high or business tier)')).action(
    run(async (ctx, [name]) => {
      const e = await ctx.client.request<Environment>('POST', apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'environments'), { name });
      emit(ctx.io, ctx.json, e, () => `created ${e.kind} environment ${e.name}`);
    }),
  );
  withProject(
    env
      .command('delete <name>')
      .description('delete an environment that is not a tier default: stops its containers and route, deletes its releases, config and secrets; its volumes stay on their target unless --drop-volumes')
      .option('--confirm <name>', 'the environment name again, to confirm')
      .option('--drop-volumes', 'delete its volumes and their data too'),
  ).action(
    run(async (ctx, [name]) => {
      confirm(ctx.opts.confirm, name ?? '', 'environment');
      const path = apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'environments', name ?? '');
      const r = await ctx.client.request<EnvironmentDeleted>('DELETE', ctx.opts.dropVolumes === true ? `${path}?dropVolumes=true` : path);
      const volumes = r.volumes.dropped.length > 0 ? `; its volumes were deleted: ${r.volumes.dropped.join(', ')}` : r.volumes.kept.length > 0 ? `; its volumes stay with their data on the target: ${r.volumes.kept.join(', ')} (docker volume rm NAME deletes one)` : '';
      emit(ctx.io, ctx.json, r, () => `deleted environment ${r.deleted}${volumes}`);
    }),
  );
}

/** Deleting is for good: the name must be given again with --confirm. */
function confirm(given: unknown, name: string, what: string): void {
  if (given !== name) throw new SlipwayError('SLW_USAGE', `deleting ${what} '${name}' removes what runs there and its history for good; to go ahead, repeat its name: --confirm ${name}`);
}
