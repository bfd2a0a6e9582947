/** `slipway member …` and `slipway token …`: who may do what in a workspace. */
import type { Command } from 'commander';
import type { AddedMember, CreatedToken, Member, MemberList, MemberRemoved, Token, TokenList } from '../../api/members.js';
import { SlipwayError } from '../../core/errors.js';
import { parseDuration } from '../../core/tokens.js';
import { apiPath } from '../client.js';
import { required, withWorkspace, type Runner } from '../context.js';
import { emit, shortTime, table } from '../output.js';


export function registerAccess(program: Command, run: Runner): void {
  const member = program.command('member').description('workspace members and their roles (owner, admin, developer, viewer)');
  withWorkspace(member.command('list').description('members of a workspace')).action(
    run(async (ctx) => {
      const { members } = await ctx.client.request<MemberList>('GET', apiPath('workspaces', required(ctx, 'workspace'), 'members'));
      emit(ctx.io, ctx.json, { members }, () => table(['EMAIL', 'ROLE', 'SINCE', 'ID'], members.map((m) => [m.email, m.role, shortTime(m.since), m.userId])));
    }),
  );
  withWorkspace(member.command('add <email>').description('add a person by e-mail').requiredOption('--role <role>', 'owner | admin | developer | viewer')).action(
    run(async (ctx, [email]) => {
      const m = await ctx.client.request<AddedMember>('POST', apiPath('workspaces', required(ctx, 'workspace'), 'members'), { email, role: ctx.opts.role });
      emit(ctx.io, ctx.json, m, () => `added ${m.email} as ${m.role}`);
    }),
  );
  withWorkspace(member.command('set-role <member>').description("change a member's role (member: e-mail or user id)").requiredOption('--role <role>', 'owner | admin | developer | viewer')).action(
    run(async (ctx, [who]) => {
      const m = await ctx.client.request<Member>('PATCH', apiPath('workspaces', required(ctx, 'workspace'), 'members', who ?? ''), { role: ctx.opts.role });
      emit(ctx.io, ctx.json, m, () => `${m.email} is now ${m.role}`);
    }),
  );
  withWorkspace(member.command('remove <member>').description('remove a member and revoke their tokens for the workspace')).action(
    run(async (ctx, [who]) => {
      const r = await ctx.client.request<MemberRemoved>('DELETE', apiPath('workspaces', required(ctx, 'workspace'), 'members', who ?? ''));
      emit(ctx.io, ctx.json, r, () => `removed ${r.email}; revoked ${r.tokensRevoked} token(s)`);
    }),
  );

  const token = program.command('token').description('workspace API tokens (shown once, stored hashed)');
  withWorkspace(
    token
      .command('create')
      .description('create a token scoped to one workspace and role')
      .requiredOption('--role <role>', 'owner | admin | developer | viewer')
      .option('--name <name>', 'a label for the token', 'api token')
      .option('--expires-in <duration>', 'lifetime such as 90m, 12h, 30d, 8w')
      .option('--member <email>', 'the member the token acts as (default: you)'),
  ).action(
    run(async (ctx) => {
      let expiresAt: string | undefined;
      if (typeof ctx.opts.expiresIn === 'string') {
        const ms = parseDuration(ctx.opts.expiresIn);
        if (ms === undefined || ms <= 0) throw new SlipwayError('SLW_USAGE', `--expires-in '${ctx.opts.expiresIn}' is not a duration like 90m, 12h, 30d or 8w`);
        expiresAt = new Date(Date.now() + ms).toISOString();
      }
      const t = await ctx.client.request<CreatedToken>('POST', apiPath('workspaces', required(ctx, 'workspace'), 'tokens'), { role: ctx.opts.role, name: ctx.opts.name, expiresAt, member: ctx.opts.member });
      emit(ctx.io, ctx.json, t, () => `${t.token}\n\ntoken ${t.id} (${t.role} for ${t.user.email}${t.expiresAt ? `, expires ${shortTime(t.expiresAt)}` : ''}); it is shown only now: store it safely`);
    }),
  );
  withWorkspace(token.command('list').description("the workspace's tokens (never their values)")).action(
    run(async (ctx) => {
      const { tokens } = await ctx.client.request<TokenList>('GET', apiPath('workspaces', required(ctx, 'workspace'), 'tokens'));
      emit(ctx.io, ctx.json, { tokens }, () =>
        table(
          ['ID', 'NAME', 'HINT', 'ROLE', 'USER', 'EXPIRES', 'LAST USED', 'STATE'],
          tokens.map((t) => [t.id, t.name, `${t.hint}…`, t.role, t.user.email, shortTime(t.expiresAt), shortTime(t.lastUsedAt), t.revokedAt ? 'revoked' : 'active']),
        ),
      );
    }),
  );
  withWorkspace(token.command('revoke <id>').description('revoke a token')).action(
    run(async (ctx, [id]) => {
      const t = await ctx.client.request<Token>('DELETE', apiPath('workspaces', required(ctx, 'workspace'), 'tokens', id ?? ''));
      emit(ctx.io, ctx.json, t, () => `revoked token ${t.id} (${t.name})`);
    }),
  );
}
