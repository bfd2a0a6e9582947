/**
 * What every client command needs: the API client, --json, and the workspace / project /
 * environment options with their SLIPWAY_* defaults.
 *
 * @module
 */
import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import type { Application } from '../api/applications.js';
import { apiPath, createClient, type ApiClient } from './client.js';
import { readUserConfig, userConfigPath, type StoredContext } from './user-config.js';
import type { Io } from './output.js';

/** Global options, after defaults. */
export interface GlobalOptions {
  server?: string;
  token?: string;
  context?: string;
  json?: boolean;
}

/** The server when nothing names one. */
export const defaultServer = 'http://127.0.0.1:7070';

/** Where a setting came from. */
export type Source = 'flag' | 'env' | 'context' | 'default' | 'none';

/** The server and token a command uses, and where each came from. */
export interface Target {
  server: string;
  token: string | undefined;
  serverFrom: Source;
  tokenFrom: Source;
  /** The context consulted (--context, else the current one), if any. */
  context: string | undefined;
  /** That context's stored server and user, if it exists. */
  stored: StoredContext | undefined;
}

const trim = (url: string) => url.replace(/\/+$/, '');

/**
 * Resolves the server and token: flags (--server, --token, then --context NAME) >
 * SLIPWAY_SERVER / SLIPWAY_TOKEN > the current context > the default server. A context's token is only ever
 * sent to that context's own server: with another server named by a flag or variable, the
 * context gives no token. The config file is read only when flags and variables leave a gap.
 */
export function resolveTarget(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Target {
  const flagServer = opts.server;
  const envServer = env.SLIPWAY_SERVER || undefined;
  const flagToken = opts.token;
  const envToken = env.SLIPWAY_TOKEN || undefined;
  let context: string | undefined = opts.context;
  let stored: StoredContext | undefined;
  if (context !== undefined || (flagServer ?? envServer) === undefined || (flagToken ?? envToken) === undefined) {
    const config = readUserConfig(userConfigPath(env));
    context ??= config.current;
    stored = context === undefined ? undefined : config.contexts[context];
    if (opts.context !== undefined && !stored) throw new SlipwayError('SLW_USAGE', `no context named '${opts.context}': see slipway context list`);
  }
  // --context is a flag: it wins over the variables (but not over --server and --token).
  const envWins = opts.context === undefined;
  const [server, serverFrom]: [string, Source] =
    flagServer !== undefined ? [flagServer, 'flag'] : envWins && envServer !== undefined ? [envServer, 'env'] : stored ? [stored.server, 'context'] : [envServer ?? defaultServer, envServer ? 'env' : 'default'];
  let [token, tokenFrom]: [string | undefined, Source] = flagToken !== undefined ? [flagToken, 'flag'] : envWins && envToken !== undefined ? [envToken, 'env'] : [undefined, 'none'];
  if (token === undefined && stored && trim(stored.server) === trim(server)) [token, tokenFrom] = [stored.token, 'context'];
  return { server, token, serverFrom, tokenFrom, context, stored };
}

/** A command's runtime context. */
export interface Ctx {
  client: ApiClient;
  target: Target;
  json: boolean;
  io: Io;
  opts: Record<string, unknown>;
}

/** Builds the context from a commander action's command object. */
export function contextOf(cmd: Command, io: Io): Ctx {
  const opts = cmd.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
  // Defaults are applied here, not in commander, so `--help` never prints a token from the environment.
  const target = resolveTarget(opts);
  const missingToken = `no API token for ${target.server}: run \`slipway login --server ${target.server}\`, pass --token or set SLIPWAY_TOKEN (the first admin token is in <data-dir>/admin-token, e.g. .slipway/admin-token)`;
  return { client: createClient({ server: target.server, token: target.token, missingToken }), target, json: opts.json === true, io, opts };
}

/** Reads a required string option, failing with the flag and variable to use. */
export function required(ctx: Ctx, key: 'workspace' | 'project' | 'env'): string {
  const fromEnv = { workspace: process.env.SLIPWAY_WORKSPACE, project: process.env.SLIPWAY_PROJECT, env: undefined }[key];
  const value = ctx.opts[key] ?? fromEnv;
  if (typeof value === 'string' && value.length > 0) return value;
  const flag = { workspace: '-w/--workspace (or SLIPWAY_WORKSPACE)', project: '-p/--project (or SLIPWAY_PROJECT)', env: '-e/--env' }[key];
  throw new SlipwayError('SLW_USAGE', `missing ${key === 'env' ? 'environment' : key}: pass ${flag}`);
}

/** An option that must be a whole number (`flag` names it in the error). */
export function wholeNumber(flag: string, value: unknown): number {
  const n = Number(value);
  if (typeof value === 'boolean' || String(value).trim() === '' || !Number.isInteger(n)) throw new SlipwayError('SLW_USAGE', `${flag} '${String(value)}' is not a whole number`);
  return n;
}

/** Adds -w (default SLIPWAY_WORKSPACE). */
export function withWorkspace(cmd: Command): Command {
  return cmd.option('-w, --workspace <name>', 'workspace (default: $SLIPWAY_WORKSPACE)');
}

/** Adds -w and -p (default SLIPWAY_PROJECT), or -a: an application, standing for its project (its sites are that project's environments). */
export function withProject(cmd: Command): Command {
  return withWorkspace(cmd).option('-p, --project <name>', 'project (default: $SLIPWAY_PROJECT)').option('-a, --app <name>', "an application instead of -p: its project (-e SITE: one of its sites)");
}

/** Adds -w, -p (or -a) and -e. */
export function withEnvironment(cmd: Command, description = 'environment (with -a: a site)'): Command {
  return withProject(cmd).option('-e, --env <name>', description);
}

/**
 * `-a APP` on a command that takes `-p`: one API call finds the application's project, which the
 * command then uses as if given with -p. With -p too it is an error.
 */
export async function resolveApplicationOption(ctx: Ctx, cmd: Command): Promise<void> {
  const app = ctx.opts.app;
  if (typeof app !== 'string' || !cmd.options.some((o) => o.attributeName() === 'project')) return;
  if (ctx.opts.project !== undefined) throw new SlipwayError('SLW_USAGE', 'give -p PROJECT or -a APP, not both (an application stands for its project)');
  if (app.length === 0) throw new SlipwayError('SLW_USAGE', 'missing application: pass -a/--app NAME');
  const a = await ctx.client.request<Application>('GET', apiPath('workspaces', required(ctx, 'workspace'), 'applications', app));
  ctx.opts.project = a.project;
}

/** The environment option, stored by commander under `env`. */
export function envOption(ctx: Ctx): string | undefined {
  const v = ctx.opts.env;
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** A command body: its context and positional arguments (variadic ones flattened). */
export type Action = (ctx: Ctx, args: string[]) => Promise<void>;

/** Wraps an action for commander: builds the context; errors propagate to main's handler. */
export function runner(io: Io): (fn: Action) => (...args: unknown[]) => Promise<void> {
  return (fn) =>
    async (...args) => {
      const cmd = args[args.length - 1] as Command;
      const positional = args.slice(0, -2).flatMap((a) => (Array.isArray(a) ? a.map(String) : a === undefined ? [] : [String(a)]));
      const ctx = contextOf(cmd, io);
      try {
        await resolveApplicationOption(ctx, cmd);
        await fn(ctx, positional);
      } finally {
        ctx.client.close();
      }
    };
}

/** What register functions receive. */
export type Runner = ReturnType<typeof runner>;
