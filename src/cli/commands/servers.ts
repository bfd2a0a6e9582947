/** `slipway server add|list|show|token|revoke|remove`: servers joined by agents (instance admins). */
import type { Command } from 'commander';
import type { Deleted } from '../../api/common.js';
import type { JoinTokenInfo, ServerInfo, ServerList } from '../../api/servers.js';
import { SlipwayError } from '../../core/errors.js';
import { parseDuration } from '../../core/tokens.js';
import { apiPath } from '../client.js';
import type { Runner } from '../context.js';
import { emit, shortTime, table } from '../output.js';

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)}`;

function metricsCells(s: ServerInfo): string[] {
  const m = s.metrics;
  if (!m) return ['-', '-', '-', '-'];
  return [`${m.cpuPercent.toFixed(0)}% of ${m.cpus}`, `${gib(m.memoryUsedBytes)}/${gib(m.memoryTotalBytes)} GiB`, `${gib(m.diskUsedBytes)}/${gib(m.diskTotalBytes)} GiB`, m.containers === null ? '?' : String(m.containers)];
}

function serverTable(servers: ServerInfo[]): string {
  return table(['NAME', 'WORKSPACE', 'STATE', 'LAST HEARTBEAT', 'AGENT', 'CPU', 'MEMORY', 'DISK', 'CONTAINERS', 'LABELS'], servers.map((s) => [s.name, s.workspace ?? '-', s.state, shortTime(s.lastHeartbeatAt), s.agentVersion ?? '-', ...metricsCells(s), Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(' ') || '-']));
}

function serverLines(s: ServerInfo): string {
  return [
    `server        ${s.name} (${s.state})${s.workspace ? `, dedicated to workspace ${s.workspace}` : ''}`,
    `labels        ${Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(' ') || '-'}`,
    `added         ${shortTime(s.createdAt)}`,
    `joined        ${shortTime(s.enrolledAt)}${s.hostname ? ` from host ${s.hostname}` : ''}`,
    `agent         ${s.agentVersion ?? '-'}${s.advertiseAddress ? `, advertises ${s.advertiseAddress}` : ''}`,
    `heartbeat     ${shortTime(s.lastHeartbeatAt)}`,
    `certificate   ${s.certificateExpiresAt ? `expires ${shortTime(s.certificateExpiresAt)} (the agent renews it)` : '-'}`,
    ...(s.revokedAt ? [`revoked       ${shortTime(s.revokedAt)}`] : []),
    ...(s.placed ? [`placed here   ${s.placed.length > 0 ? s.placed.join(', ') : 'nothing'}`] : []),
    ...(s.metrics ? [`cpu           ${metricsCells(s)[0]}`, `memory        ${metricsCells(s)[1]}`, `disk          ${metricsCells(s)[2]}`, `containers    ${metricsCells(s)[3]}`] : []),
  ].join('\n');
}

function tokenLines(t: JoinTokenInfo): string {
  return [`join token for server '${t.server.name}' (single use, expires ${shortTime(t.expiresAt)}; shown only now):`, '', t.joinToken, '', 'on the server, run:', '', `  ${t.joinCommand}`].join('\n');
}

function ttlSeconds(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(String(value));
  if (ms === undefined || ms < 60_000 || ms > 86_400_000) throw new SlipwayError('SLW_USAGE', `--ttl '${String(value)}' is not a duration from 1m to 24h (e.g. 30m, 2h)`);
  return Math.round(ms / 1000);
}

function labels(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    if (i <= 0) throw new SlipwayError('SLW_USAGE', `--label '${v}' is not KEY=VALUE`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

export function registerServerCommands(server: Command, run: Runner): void {
  server
    .command('add <name>')
    .description('add a server: prints a single-use, expiring join token for its agent (shown only now; --json: joinToken)')
    .option('--label <key=value>', 'a label, for placement by label (repeatable)', (v: string, all: string[] = []) => [...all, v])
    .option('--ttl <duration>', 'how long the join token is valid (1m-24h, default 30m)')
    .option('-w, --workspace <name>', "dedicate the server to this workspace (its owners manage it; only its environments run there)")
    .action(
      run(async (ctx, [name = '']) => {
        const ttl = ttlSeconds(ctx.opts.ttl);
        const r = await ctx.client.request<JoinTokenInfo>('POST', apiPath('servers'), { name, labels: labels(ctx.opts.label as string[] | undefined), ...(ttl ? { tokenTtlSeconds: ttl } : {}), ...(ctx.opts.workspace !== undefined ? { workspace: String(ctx.opts.workspace) } : {}) });
        emit(ctx.io, ctx.json, r, () => tokenLines(r));
      }),
    );
  server
    .command('list')
    .description('servers: state, last heartbeat, agent version, CPU, memory, disk, containers')
    .action(
      run(async (ctx) => {
        const r = await ctx.client.request<ServerList>('GET', apiPath('servers'));
        emit(ctx.io, ctx.json, r, () => (r.servers.length === 0 ? 'no servers yet: slipway server add NAME' : serverTable(r.servers)));
      }),
    );
  server
    .command('show <name>')
    .description('a server and what its agent last reported')
    .action(
      run(async (ctx, [name = '']) => {
        const r = await ctx.client.request<ServerInfo>('GET', apiPath('servers', name));
        emit(ctx.io, ctx.json, r, () => serverLines(r));
      }),
    );
  server
    .command('token <name>')
    .description('a new join token for a server whose agent has not joined yet')
    .option('--ttl <duration>', 'how long the join token is valid (1m-24h, default 30m)')
    .action(
      run(async (ctx, [name = '']) => {
        const ttl = ttlSeconds(ctx.opts.ttl);
        const r = await ctx.client.request<JoinTokenInfo>('POST', apiPath('servers', name, 'token'), ttl ? { tokenTtlSeconds: ttl } : {});
        emit(ctx.io, ctx.json, r, () => tokenLines(r));
      }),
    );
  server
    .command('rotate <name>')
    .description("ask the server's agent for a new key and certificate now (over its session; nothing drops)")
    .action(
      run(async (ctx, [name = '']) => {
        const r = await ctx.client.request<ServerInfo>('POST', apiPath('servers', name, 'rotate'));
        emit(ctx.io, ctx.json, r, () => `asked server '${r.name}' for a new key and certificate; its agent renews over its session (slipway server show ${r.name}: certificate)`);
      }),
    );
  server
    .command('revoke <name>')
    .description("revoke a server for good: its agent's session drops now, every later handshake is refused")
    .action(
      run(async (ctx, [name = '']) => {
        const r = await ctx.client.request<ServerInfo>('POST', apiPath('servers', name, 'revoke'));
        emit(ctx.io, ctx.json, r, () => `revoked server '${r.name}': its agent is disconnected and refused from now on`);
      }),
    );
  server
    .command('remove <name>')
    .description('remove a server nothing is placed on')
    .action(
      run(async (ctx, [name = '']) => {
        const r = await ctx.client.request<Deleted>('DELETE', apiPath('servers', name));
        emit(ctx.io, ctx.json, r, () => `removed server '${r.deleted}'`);
      }),
    );
}
