/** `slipway whoami`, `slipway workspace …`. */
import type { Command } from 'commander';
import type { Whoami, Workspace, WorkspaceList, WorkspaceUpdated } from '../../api/workspaces.js';
import { apiPath } from '../client.js';
import type { Runner } from '../context.js';
import { emit, shortTime, table } from '../output.js';


const row = (w: Workspace) => [w.name, w.tier, w.role, shortTime(w.createdAt)];

export function registerWorkspace(program: Command, run: Runner): void {
  program
    .command('whoami')
    .description('show the token in use: its user and scope')
    .action(
      run(async (ctx) => {
        const me = await ctx.client.request<Whoami>('GET', apiPath('whoami'));
        emit(ctx.io, ctx.json, me, () => `${me.user.email}${me.user.instanceAdmin ? ' (instance admin)' : ''}\ntoken ${me.token.id}: ${me.token.scope} token${me.token.role ? `, role ${me.token.role}` : ''}`);
      }),
    );

  const ws = program.command('workspace').alias('ws').description('workspaces: the tenant boundary, with a tier');
  ws.command('create <name>')
    .description('create a workspace (instance admin token); you become its owner')
    .requiredOption('--tier <tier>', 'low | mid | high | business')
    .action(
      run(async (ctx, [name]) => {
        const w = await ctx.client.request<Workspace>('POST', apiPath('workspaces'), { name, tier: ctx.opts.tier });
        emit(ctx.io, ctx.json, w, () => `created workspace ${w.name} (tier ${w.tier})`);
      }),
    );
  ws.command('list')
    .description('workspaces this token can reach')
    .action(
      run(async (ctx) => {
        const { workspaces } = await ctx.client.request<WorkspaceList>('GET', apiPath('workspaces'));
        emit(ctx.io, ctx.json, { workspaces }, () => table(['NAME', 'TIER', 'ROLE', 'CREATED'], workspaces.map(row)));
      }),
    );
  ws.command('show <name>')
    .description('one workspace')
    .action(
      run(async (ctx, [name]) => {
        const w = await ctx.client.request<Workspace>('GET', apiPath('workspaces', name ?? ''));
        emit(ctx.io, ctx.json, w, () => table(['NAME', 'TIER', 'ROLE', 'CREATED'], [row(w)]));
      }),
    );
  ws.command('set <name>')
    .description("change a workspace's tier (never removes an environment)")
    .requiredOption('--tier <tier>', 'low | mid | high | business')
    .action(
      run(async (ctx, [name]) => {
        const r = await ctx.client.request<WorkspaceUpdated>('PATCH', apiPath('workspaces', name ?? ''), { tier: ctx.opts.tier });
        emit(ctx.io, ctx.json, r, () => `workspace ${r.workspace.name} is now tier ${r.workspace.tier}${r.environmentsAdded.length ? `; added environments ${r.environmentsAdded.join(', ')}` : ''}`);
      }),
    );
}
