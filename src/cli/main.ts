/**
 * The `slipway` executable: `slipway server` and the client commands.
 *
 * @module
 */
import { Command, CommanderError } from 'commander';
import { SlipwayError, isSlipwayError, toSlipwayError } from '../core/errors.js';
import { slipwayVersion } from '../platform/version.js';
import { registerAccess } from './commands/access.js';
import { registerAdmin } from './commands/admin.js';
import { registerBuild, registerImport } from './commands/build.js';
import { registerDeploy } from './commands/deploy.js';
import { registerConfig } from './commands/config.js';
import { registerHistory } from './commands/history.js';
import { registerProjects } from './commands/projects.js';
import { registerProxy } from './commands/proxy.js';
import { registerCredentials, registerRegistry } from './commands/registry.js';
import { registerServer } from './commands/server.js';
import { registerWorkspace } from './commands/workspace.js';
import { runner } from './context.js';
import { emitError, processIo, type Io } from './output.js';

/** Builds the command tree. */
export function buildProgram(io: Io): Command {
  const program = new Command('slipway')
    .description('Slipway: build once, promote everywhere')
    // No commander version option: it would swallow `--version` of subcommands (`slipway build
    // --version 1.2.0`). `slipway --version` alone is answered in main(); `slipway version` too.
    .option('--server <url>', 'Slipway server URL (default: $SLIPWAY_SERVER or http://127.0.0.1:7070)')
    .option('--token <token>', 'API token (default: $SLIPWAY_TOKEN)')
    .option('--json', 'print one JSON document on stdout')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: () => undefined });
  const run = runner(io);
  program
    .command('version')
    .description('print the version of this CLI')
    .action(() => io.out(slipwayVersion()));
  registerServer(program, (error) => fail(io, wantsJson(), error));
  registerProxy(program, io, (error) => fail(io, wantsJson(), error));
  registerWorkspace(program, run);
  registerAccess(program, run);
  registerProjects(program, run);
  registerConfig(program, run);
  registerHistory(program, run);
  registerRegistry(program, run);
  registerCredentials(program, run);
  registerBuild(program, run);
  registerImport(program, run);
  registerDeploy(program, run);
  registerAdmin(program, run, io, (error) => fail(io, wantsJson(), error));
  for (const cmd of allCommands(program)) cmd.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: () => undefined });
  return program;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

function wantsJson(): boolean {
  return process.argv.includes('--json');
}

/** Prints an error as one line (and as JSON with --json) and exits 1. */
function fail(io: Io, json: boolean, error: unknown): never {
  const err = toSlipwayError(error);
  emitError(io, json, err);
  if (process.env.SLIPWAY_DEBUG && (!isSlipwayError(error) || err.code === 'SLW_INTERNAL')) {
    io.err(`  cause: ${(error as Error)?.stack ?? String(error)}`);
  }
  process.exit(1);
}

/** Runs the CLI with `argv` (process.argv form). */
export async function main(argv: string[], io: Io = processIo): Promise<void> {
  const program = buildProgram(io);
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    io.out(slipwayVersion());
    return;
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') process.exit(0);
      const message = error.message.replace(/^error:\s*/, '');
      fail(io, wantsJson(), new SlipwayError('SLW_USAGE', `${message} (see slipway --help)`));
    }
    fail(io, wantsJson(), error);
  }
}

