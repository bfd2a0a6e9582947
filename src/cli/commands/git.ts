/** `slipway git link|unlink|show|build|builds`: a project's git repository, and building its commits now. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { Deleted } from '../../api/common.js';
import type { GitBuildDetail, GitBuildInfo, GitBuildResult, GitSourceInfo } from '../../api/git.js';
import { SlipwayError } from '../../core/errors.js';
import { apiPath } from '../client.js';
import { required, withProject, type Ctx, type Runner } from '../context.js';
import { emit, shortTime, table } from '../output.js';
import { readHidden } from '../stdin.js';

const gitPath = (ctx: Ctx, ...rest: string[]) => apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), 'git', ...rest);

function sourceLines(s: GitSourceInfo): string {
  return [
    `project       ${s.project}`,
    `url           ${s.url}`,
    `branch        ${s.branch} (a push deploys to the first environment)`,
    `branch envs   ${s.branchEnvs.length > 0 ? s.branchEnvs.join(' ') : '-'}`,
    `credential    ${s.credential}`,
    `runtime       ${s.runtime ?? 'detected'}`,
    `base          ${s.base ?? 'the runtime default'}`,
    `updated       ${shortTime(s.updatedAt)}`,
  ].join('\n');
}

/** The credential from --credential (a value, or - for stdin) or --credential-file; undefined when neither. */
async function credentialOf(ctx: Ctx): Promise<string | undefined> {
  const given = ctx.opts.credential as string | undefined;
  const file = ctx.opts.credentialFile as string | undefined;
  if (given !== undefined && file !== undefined) throw new SlipwayError('SLW_USAGE', 'give the credential with one of --credential or --credential-file');
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new SlipwayError('SLW_USAGE', `cannot read --credential-file ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (given === '-') return readHidden('git token (input hidden): ', 'the credential is empty: pipe it on stdin, e.g. printf %s "$TOKEN" | slipway git link … --credential -');
  return given;
}

function buildLines(r: GitBuildResult): string {
  const lines = [`built ${r.repository}:${r.version} from ${r.commit.slice(0, 12)} (${r.ref}) with ${r.method === 'dockerfile' ? 'buildah (Dockerfile)' : 'the builder'}`, `digest ${r.digest}`, ...r.steps.map((s) => `  ${s.name}: ${s.ms} ms`)];
  if (r.deploy?.deployment) lines.push(`deploying to ${r.deploy.environment}: deployment ${r.deploy.deployment} (release #${r.deploy.releaseNumber ?? '?'}); follow it with 'slipway logs ${r.deploy.deployment} --follow'`);
  else if (r.deploy?.approval) lines.push(`${r.deploy.environment} requires approval: request ${r.deploy.approval}`);
  else lines.push('not deployed (only the default branch deploys; deploy it with slipway deploy --version)');
  return lines.join('\n');
}

export function registerGit(program: Command, run: Runner): void {
  const git = program.command('git').description("a project's git repository: link it, build a commit now (and deploy it as a push would)");
  withProject(
    git
      .command('link <url>')
      .description('link (or re-link) the project to a git repository (https://; the credential is stored encrypted and never shown)')
      .option('--branch <name>', 'the default branch: a push to it deploys to the first environment (default main)')
      .option('--branch-envs <patterns>', "branch patterns that get branch environments, comma-separated (e.g. 'feature/*')")
      .option('--credential <token>', 'an access token (or user:token) with read access; - reads it from stdin (keeps it out of shell history)')
      .option('--credential-file <file>', 'read the token from this file')
      .option('--no-credential', 'remove the stored credential')
      .option('--runtime <runtime>', 'java, static or node, as for slipway build (default: detected; slipway.yaml build.runtime wins)')
      .option('--base <ref>', 'base image for the builder, as for slipway build'),
  ).action(
    run(async (ctx, [url = '']) => {
      const credential = ctx.opts.credential === false ? null : await credentialOf(ctx);
      const patterns = ctx.opts.branchEnvs === undefined ? undefined : String(ctx.opts.branchEnvs).split(',').map((p) => p.trim()).filter((p) => p !== '');
      const opt = (key: string) => (ctx.opts[key] === undefined ? {} : { [key]: String(ctx.opts[key]) });
      const body = { url, ...opt('branch'), ...(patterns ? { branchEnvs: patterns } : {}), ...(credential !== undefined ? { credential } : {}), ...opt('runtime'), ...opt('base') };
      const s = await ctx.client.request<GitSourceInfo>('PUT', gitPath(ctx), body);
      emit(ctx.io, ctx.json, s, () => `linked ${s.project} to ${s.url} (branch ${s.branch}, credential ${s.credential})`);
    }),
  );
  withProject(git.command('unlink').description('unlink the repository (its credential is deleted; built images stay)')).action(
    run(async (ctx) => {
      const r = await ctx.client.request<Deleted>('DELETE', gitPath(ctx));
      emit(ctx.io, ctx.json, r, () => `unlinked the git repository of ${r.deleted}`);
    }),
  );
  withProject(git.command('show').description("the project's git source (the credential only as set or none)")).action(
    run(async (ctx) => {
      const s = await ctx.client.request<GitSourceInfo>('GET', gitPath(ctx));
      emit(ctx.io, ctx.json, s, () => sourceLines(s));
    }),
  );
  withProject(
    git
      .command('build')
      .description('fetch and build a commit now (a Dockerfile with buildah, else static/Node/JAR with the builder), then deploy it as a push to that ref would: the default branch to the first environment (dev)')
      .option('--ref <ref>', 'branch, tag or 40-hex commit (default: the default branch)')
      .option('--no-deploy', 'build only'),
  ).action(
    run(async (ctx) => {
      const body = { ...(ctx.opts.ref === undefined ? {} : { ref: String(ctx.opts.ref) }), ...(ctx.opts.deploy === false ? { deploy: false } : {}) };
      const r = await ctx.client.request<GitBuildResult>('POST', gitPath(ctx, 'builds'), body);
      emit(ctx.io, ctx.json, r, () => buildLines(r));
    }),
  );
  withProject(git.command('builds [id]').description("the project's recent git builds, or one build with its log")).action(
    run(async (ctx, [id]) => {
      if (id !== undefined) {
        const b = await ctx.client.request<GitBuildDetail>('GET', gitPath(ctx, 'builds', id));
        emit(ctx.io, ctx.json, b, () => `${b.id} ${b.status} ${b.ref} ${b.commit?.slice(0, 12) ?? '-'} ${b.version ?? '-'}${b.error ? `\nerror: ${b.error}` : ''}\n\n${b.log}`);
        return;
      }
      const r = await ctx.client.request<GitBuildInfo[]>('GET', gitPath(ctx, 'builds'));
      emit(ctx.io, ctx.json, r, () => (r.length === 0 ? 'no git builds yet: slipway git build' : table(['ID', 'STATUS', 'REF', 'COMMIT', 'VERSION', 'METHOD', 'STARTED', 'ERROR'], r.map((b) => [b.id, b.status, b.ref, b.commit?.slice(0, 12) ?? '-', b.version ?? '-', b.method ?? '-', shortTime(b.startedAt), b.error ?? '']))));
    }),
  );
}
