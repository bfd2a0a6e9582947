/**
 * The `slipway` executable: `slipway server` and the client commands.
 *
 * @module
 */
import { Command, CommanderError } from 'commander';
import { SlipwayError, isSlipwayError, toSlipwayError } from '../core/errors.js';
import { slipwayVersion } from '../platform/version.js';
import { runner, type Runner } from './context.js';
import { emitError, processIo, type Io } from './output.js';

/** Adds one group of commands (and their actions) to the program. */
export type Register = (program: Command, run: Runner, io: Io) => void;

/**
 * Every command group: the top-level command names it defines and how to import it. Only the
 * group named on the command line is imported (`slipway whoami` loads commands/workspace.js and
 * nothing of the others, and never the server); `slipway --help`, `slipway help` and an unknown
 * command load them all. To add a command: write `commands/NAME.ts` exporting a {@link Register}
 * and add one line here with its top-level names.
 */
const groups: Array<{ names: string[]; load: () => Promise<Register> }> = [
  { names: ['server'], load: serverRegister },
  { names: ['login', 'logout', 'context'], load: async () => (await import('./commands/login.js')).registerLogin },
  { names: ['whoami', 'workspace', 'ws'], load: async () => (await import('./commands/workspace.js')).registerWorkspace },
  { names: ['member', 'token'], load: async () => (await import('./commands/access.js')).registerAccess },
  { names: ['project', 'env'], load: async () => (await import('./commands/projects.js')).registerProjects },
  { names: ['config', 'secret'], load: async () => (await import('./commands/config.js')).registerConfig },
  { names: ['releases', 'audit'], load: async () => (await import('./commands/history.js')).registerHistory },
  { names: ['images', 'registry'], load: async () => (await import('./commands/registry.js')).registerRegistry },
  { names: ['registry-credential'], load: async () => (await import('./commands/registry.js')).registerCredentials },
  { names: ['build'], load: async () => (await import('./commands/build.js')).registerBuild },
  { names: ['import'], load: async () => (await import('./commands/build.js')).registerImport },
  { names: ['deploy', 'promote', 'approve', 'reject', 'rollback', 'scale', 'status', 'logs'], load: async () => (await import('./commands/deploy.js')).registerDeploy },
  { names: ['promotions', 'promotion'], load: async () => (await import('./commands/promotions.js')).registerPromotions },
  { names: ['service'], load: async () => (await import('./commands/services.js')).registerServices },
  { names: ['app'], load: async () => (await import('./commands/applications.js')).registerApplications },
  { names: ['site'], load: async () => (await import('./commands/sites.js')).registerSites },
  // After the other `app` group: it adds its subcommands to the `app` command that one made.
  { names: ['app'], load: async () => (await import('./commands/app-notifications.js')).registerAppNotifications },
  { names: ['git'], load: async () => (await import('./commands/git.js')).registerGit },
  // After any other `git` group: it adds its subcommands to the `git` command that one made.
  { names: ['git'], load: async () => (await import('./commands/git-hooks.js')).registerGitHooks },
  { names: ['pipeline'], load: async () => (await import('./commands/pipelines.js')).registerPipelines },
  { names: ['herd'], load: async () => (await import('./commands/herds.js')).registerHerds },
  { names: ['volume'], load: async () => (await import('./commands/volumes.js')).registerVolumes },
  { names: ['proxy'], load: proxyRegister },
  { names: ['admin'], load: adminRegister },
  { names: ['agent'], load: agentRegister },
];

/** `slipway proxy stop` runs offline against a data directory; refusals are one error line, exit 1. */
async function proxyRegister(): Promise<Register> {
  const { registerProxy } = await import('./commands/proxy.js');
  return (program, _run, io) => registerProxy(program, io, (error) => fail(io, wantsJson(), error));
}

/** `slipway admin token` works offline on a data directory too. */
async function adminRegister(): Promise<Register> {
  const { registerAdmin } = await import('./commands/admin.js');
  return (program, run, io) => registerAdmin(program, run, io, (error) => fail(io, wantsJson(), error));
}

/** `slipway agent` runs in the foreground; a refused join or start is one error line, exit 1. */
async function agentRegister(): Promise<Register> {
  const { registerAgent } = await import('./commands/agent.js');
  return (program, _run, io) => registerAgent(program, (error) => fail(io, wantsJson(), error));
}

/** `slipway server` reports a refused start through `fail` (one error line, exit 1). */
async function serverRegister(): Promise<Register> {
  const { registerServer } = await import('./commands/server.js');
  return (program, run, io) => registerServer(program, run, (error) => fail(io, wantsJson(), error));
}

/** Global options that take a value (skipped when looking for the command name). */
const valueOptions = new Set(['--server', '--token', '--context']);

/** The first word of `args` that is not a global option or its value. */
export function commandName(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    if (a === '--') return args[i + 1];
    if (valueOptions.has(a)) i += 1;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/** Builds the command tree with the groups `args` needs (all of them for help or an unknown command). */
export async function buildProgram(io: Io, args: string[] = []): Promise<Command> {
  const program = new Command('slipway')
    .description('Slipway: build once, promote everywhere')
    // No commander version option: it would swallow `--version` of subcommands (`slipway build
    // --version 1.2.0`). `slipway --version` alone is answered in main(); `slipway version` too.
    .option('--server <url>', 'Slipway server URL (default: $SLIPWAY_SERVER, the current context, or http://127.0.0.1:7070)')
    .option('--token <token>', 'API token (default: $SLIPWAY_TOKEN or the current context)')
    .option('--context <name>', 'use this saved context (slipway context list) instead of the current one')
    .option('--json', 'print one JSON document on stdout')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: () => undefined });
  program
    .command('version')
    .description('print the version of this CLI')
    .action(() => io.out(slipwayVersion()));
  const name = commandName(args);
  const named = groups.filter((g) => name !== undefined && g.names.includes(name));
  const registers = await Promise.all((named.length > 0 ? named : name === 'version' ? [] : groups).map((g) => g.load()));
  const run = runner(io);
  for (const register of registers) register(program, run, io);
  for (const cmd of allCommands(program)) cmd.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: () => undefined });
  return program;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

function wantsJson(): boolean {
  return process.argv.includes('--json');
}

/** Node's system calls on files (an ErrnoException's `syscall`). */
const fileCalls = new Set(['open', 'read', 'write', 'stat', 'lstat', 'fstat', 'scandir', 'opendir', 'readlink', 'mkdir', 'mkdtemp', 'rmdir', 'rm', 'unlink', 'rename', 'access', 'copyfile', 'chmod']);

/**
 * A local file the command could not read or write (Node's `ENOENT`, `EACCES`, `EISDIR`…, with the
 * path when Node gives it) is the user's to fix, not an internal error: said with the path and Node's reason.
 */
export function localFileError(error: unknown): SlipwayError | undefined {
  const e = error as NodeJS.ErrnoException | undefined;
  if (!(e instanceof Error) || typeof e.code !== 'string' || !/^E[A-Z]+$/.test(e.code) || !fileCalls.has(e.syscall ?? '')) return undefined;
  return new SlipwayError('SLW_USAGE', `cannot ${e.syscall} ${e.path ?? 'a local file'}: ${e.message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$|, \w+$/, '')} (${e.code}); check the path and its permissions`);
}

/** Prints an error as one line (and as JSON with --json) and exits 1. */
function fail(io: Io, json: boolean, error: unknown): never {
  const err = localFileError(error) ?? toSlipwayError(error);
  emitError(io, json, err);
  if (process.env.SLIPWAY_DEBUG && (!isSlipwayError(error) || err.code === 'SLW_INTERNAL')) {
    io.err(`  cause: ${(error as Error)?.stack ?? String(error)}`);
  }
  process.exit(1);
}

/** Runs the CLI with `argv` (process.argv form). */
export async function main(argv: string[], io: Io = processIo): Promise<void> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    io.out(slipwayVersion());
    return;
  }
  try {
    const program = await buildProgram(io, args);
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

