/**
 * What every client command needs: the API client, --json, and the workspace / project /
 * environment options with their SLIPWAY_* defaults.
 *
 * @module
 */
import type { Command } from 'commander';
import { SlipwayError } from '../core/errors.js';
import { createClient, type ApiClient } from './client.js';
import type { Io } from './output.js';

/** Global options, after defaults. */
export interface GlobalOptions {
  server?: string;
  token?: string;
  json?: boolean;
}

/** A command's runtime context. */
export interface Ctx {
  client: ApiClient;
  json: boolean;
  io: Io;
  opts: Record<string, unknown>;
}

/** Builds the context from a commander action's command object. */
export function contextOf(cmd: Command, io: Io): Ctx {
  const opts = cmd.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
  // Defaults are applied here, not in commander, so `--help` never prints a token from the environment.
  const server = opts.server ?? process.env.SLIPWAY_SERVER ?? 'http://127.0.0.1:7070';
  const token = opts.token ?? (process.env.SLIPWAY_TOKEN || undefined);
  return { client: createClient({ server, token }), json: opts.json === true, io, opts };
}

/** Reads a required string option, failing with the flag and variable to use. */
export function required(ctx: Ctx, key: 'workspace' | 'project' | 'env'): string {
  const fromEnv = { workspace: process.env.SLIPWAY_WORKSPACE, project: process.env.SLIPWAY_PROJECT, env: undefined }[key];
  const value = ctx.opts[key] ?? fromEnv;
  if (typeof value === 'string' && value.length > 0) return value;
  const flag = { workspace: '-w/--workspace (or SLIPWAY_WORKSPACE)', project: '-p/--project (or SLIPWAY_PROJECT)', env: '-e/--env' }[key];
  throw new SlipwayError('SLW_USAGE', `missing ${key === 'env' ? 'environment' : key}: pass ${flag}`);
}

/** Adds -w (default SLIPWAY_WORKSPACE). */
export function withWorkspace(cmd: Command): Command {
  return cmd.option('-w, --workspace <name>', 'workspace (default: $SLIPWAY_WORKSPACE)');
}

/** Adds -w and -p (default SLIPWAY_PROJECT). */
export function withProject(cmd: Command): Command {
  return withWorkspace(cmd).option('-p, --project <name>', 'project (default: $SLIPWAY_PROJECT)');
}

/** Adds -w, -p and -e. */
export function withEnvironment(cmd: Command, description = 'environment'): Command {
  return withProject(cmd).option('-e, --env <name>', description);
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
      await fn(contextOf(cmd, io), positional);
    };
}

/** What register functions receive. */
export type Runner = ReturnType<typeof runner>;
