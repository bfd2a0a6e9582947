/** `slipway images`, `slipway registry gc` and `slipway registry policy`. */
import type { Command } from 'commander';
import type { CredentialList, CredentialRemoved, GcReport, ImageList, RegistryCredential, RegistryPolicy } from '../../api/registry.js';
import { SlipwayError } from '../../core/errors.js';
import { apiPath } from '../client.js';
import { required, withProject, withWorkspace, type Runner } from '../context.js';
import { readSecretValue } from '../stdin.js';
import { emit, shortTime, table } from '../output.js';


/** `12.3 MB` style sizes. */
export function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** Parses `90s`, `15m`, `1h`, `2d` or plain seconds. */
function parseDuration(text: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new SlipwayError('SLW_USAGE', `--grace '${text}' is not a duration like 90s, 15m, 1h or 2d`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
}

export function registerRegistry(program: Command, run: Runner): void {
  withProject(program.command('images').description("a project's images: versions, digests, sizes, tags, where they run")).action(
    run(async (ctx) => {
      const path = apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'images');
      const result = await ctx.client.request<ImageList>('GET', path);
      emit(ctx.io, ctx.json, result, () =>
        table(
          ['VERSION', 'DIGEST', 'SIZE', 'TAGS', 'RUNS IN', 'PUSHED'],
          result.images.map((i) => [i.version, short(i.digest), humanBytes(i.size), i.tags.join(' '), i.environments.join(' ') || null, shortTime(i.createdAt)]),
        ),
      );
    }),
  );

  const registry = program.command('registry').description('the built-in registry: garbage collection, retention policy');
  registry
    .command('gc')
    .description('apply every retention policy, then delete unreferenced blobs (instance admin token)')
    .option('--dry-run', 'report what would go; change nothing')
    .option('--grace <duration>', 'never collect what is younger than this (e.g. 1h, 10m, 0s)', '1h')
    .action(
      run(async (ctx) => {
        const report = await ctx.client.request<GcReport>('POST', '/api/v1/registry/gc', { dryRun: ctx.opts.dryRun === true, graceSeconds: parseDuration(String(ctx.opts.grace)) });
        emit(ctx.io, ctx.json, report, () => {
          const verb = report.dryRun ? 'would remove' : 'removed';
          const lines = [
            table(['REPOSITORY', 'DIGEST', 'TAGS'], report.images.map((i) => [i.repository, short(i.digest), i.tags.join(' ')])),
            `${verb} ${report.images.length} image(s), ${report.blobs.count} blob(s) (${humanBytes(report.blobs.bytes)}), ${report.links} stale link(s), ${report.uploads} abandoned upload(s)`,
          ];
          if (report.kept.length > 0) lines.push(`kept beyond the newest N: ${report.kept.map((k) => `${k.repository}@${short(k.digest)} (${k.reason})`).join(', ')}`);
          return lines.join('\n');
        });
      }),
    );
  withProject(
    registry
      .command('policy')
      .description("show or change a project's retention and protected tags")
      .option('--keep <n>', 'keep the newest N versions (older ones are untagged and collected)')
      .option('--protect <pattern...>', 'tag patterns (* wildcard) that can be neither moved nor deleted; replaces the list')
      .option('--no-protect', 'clear the protected tag patterns'),
  ).action(
    run(async (ctx) => {
      const path = apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'registry-policy');
      const body: { keepVersions?: number; protectedTags?: string[] } = {};
      if (ctx.opts.keep !== undefined) {
        const n = Number(ctx.opts.keep);
        if (!Number.isSafeInteger(n) || n < 1) throw new SlipwayError('SLW_USAGE', `--keep '${String(ctx.opts.keep)}' is not a whole number of 1 or more`);
        body.keepVersions = n;
      }
      if (Array.isArray(ctx.opts.protect)) body.protectedTags = ctx.opts.protect.map(String);
      else if (ctx.opts.protect === false) body.protectedTags = [];
      const policy = Object.keys(body).length > 0 ? await ctx.client.request<RegistryPolicy>('PATCH', path, body) : await ctx.client.request<RegistryPolicy>('GET', path);
      emit(ctx.io, ctx.json, policy, () => `${policy.repository}: keep the newest ${policy.keepVersions} versions; protected tags: ${policy.protectedTags.join(' ') || '(none)'}`);
    }),
  );
}


/** `slipway registry-credential add|list|remove`. */
export function registerCredentials(program: Command, run: Runner): void {
  const cred = program.command('registry-credential').description('credentials for other registries (base images, imports); passwords are write-only');
  withWorkspace(cred.command('add <host>').description('store the credential for HOST; the password is read from stdin').requiredOption('--username <user>', 'user name at that registry')).action(
    run(async (ctx, [host]) => {
      const password = await readSecretValue(`the password for ${host}`, `slipway registry-credential add ${host} --username …`);
      const path = apiPath('workspaces', required(ctx, 'workspace'), 'registry-credentials', host!);
      const result = await ctx.client.request<RegistryCredential>('PUT', path, { username: String(ctx.opts.username), password });
      emit(ctx.io, ctx.json, result, () => `stored the credential for ${result.host} (user ${result.username}); the password is encrypted and will not be shown`);
    }),
  );
  withWorkspace(cred.command('list').description('hosts and usernames (never passwords)')).action(
    run(async (ctx) => {
      const result = await ctx.client.request<CredentialList>('GET', apiPath('workspaces', required(ctx, 'workspace'), 'registry-credentials'));
      emit(ctx.io, ctx.json, result, () => table(['HOST', 'USERNAME', 'UPDATED'], result.credentials.map((c) => [c.host, c.username, shortTime(c.updatedAt)])));
    }),
  );
  withWorkspace(cred.command('remove <host>').description('forget the credential for HOST')).action(
    run(async (ctx, [host]) => {
      const result = await ctx.client.request<CredentialRemoved>('DELETE', apiPath('workspaces', required(ctx, 'workspace'), 'registry-credentials', host!));
      emit(ctx.io, ctx.json, result, () => `removed the credential for ${result.host}`);
    }),
  );
}
