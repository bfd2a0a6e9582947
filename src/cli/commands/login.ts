/**
 * `slipway login`, `slipway logout` and `slipway context …`: named contexts (server URL +
 * token) kept in the per-user config file (user-config.ts), like kubectl's. A token is checked
 * with /whoami before it is saved and is never printed.
 *
 * @module
 */
import type { Command } from 'commander';
import type { Whoami } from '../../api/workspaces.js';
import { SlipwayError } from '../../core/errors.js';
import { apiPath, createClient } from '../client.js';
import { type Ctx, type Runner, type Source } from '../context.js';
import { emit, table } from '../output.js';
import { readHidden } from '../stdin.js';
import { checkContextName, readUserConfig, userConfigPath, writeUserConfig, type UserConfig } from '../user-config.js';


const trim = (url: string) => url.replace(/\/+$/, '');

/** The name a login gets without --name: a context already saved for this server, else the server's host:port. */
function defaultName(config: UserConfig, server: string): string {
  const same = Object.entries(config.contexts).filter(([, c]) => trim(c.server) === trim(server));
  const current = same.find(([name]) => name === config.current);
  if (current ?? same[0]) return (current ?? same[0])![0];
  try {
    return new URL(server).host;
  } catch {
    throw new SlipwayError('SLW_USAGE', `server URL '${server}' is not a URL: pass --server http://HOST:PORT`);
  }
}

/** Removes a context; says what happened. */
function remove(ctx: Ctx, name: string): void {
  const file = userConfigPath();
  const config = readUserConfig(file);
  if (!config.contexts[name]) throw new SlipwayError('SLW_USAGE', `no context named '${name}': see slipway context list`);
  delete config.contexts[name];
  const wasCurrent = config.current === name;
  if (wasCurrent) delete config.current;
  writeUserConfig(config, file);
  emit(ctx.io, ctx.json, { removed: name, current: config.current ?? null }, () =>
    `removed context ${name}${wasCurrent ? ' (it was the current one; pick another with slipway context use NAME)' : ''}; its token is forgotten here but still valid until revoked (slipway token revoke)`,
  );
}

const from: Record<Source, string> = { flag: 'flag', env: 'environment variable', context: 'context', default: 'default', none: 'none' };

export function registerLogin(program: Command, run: Runner): void {
  program
    .command('login')
    .description('save a server URL and token as a named context and make it current (token from stdin, or a hidden prompt)')
    .option('--name <name>', 'context name (default: the context already saved for this server, else its host:port)')
    .action(
      run(async (ctx) => {
        const file = userConfigPath();
        const config = readUserConfig(file);
        const server = trim(ctx.target.server);
        const name = checkContextName(typeof ctx.opts.name === 'string' ? ctx.opts.name : defaultName(config, server));
        const token =
          ctx.target.tokenFrom === 'flag' && ctx.target.token
            ? ctx.target.token
            : await readHidden(`API token for ${server} (input hidden): `, `no token given: pipe it on stdin, e.g. slipway login --server ${server} < .slipway/admin-token`);
        const client = createClient({ server, token: token.trim() });
        let me: Whoami;
        try {
          me = await client.request<Whoami>('GET', apiPath('whoami'));
        } finally {
          client.close();
        }
        config.contexts[name] = { server, token: token.trim(), user: me.user.email };
        config.current = name;
        writeUserConfig(config, file);
        emit(ctx.io, ctx.json, { context: { name, server, user: me.user.email, current: true }, file }, () => `logged in to ${server} as ${me.user.email}${me.user.instanceAdmin ? ' (instance admin)' : ''}; context ${name} is now current (saved in ${file})`);
      }),
    );

  program
    .command('logout [name]')
    .description('forget a context and its token (default: the current one)')
    .action(
      run(async (ctx, [name]) => {
        const target = name ?? ctx.target.context;
        if (!target) throw new SlipwayError('SLW_USAGE', 'no current context: name one (slipway context list)');
        remove(ctx, target);
      }),
    );

  const context = program.command('context').description('saved contexts (server URL + token): list, use, show, remove');
  context
    .command('list')
    .description('saved contexts; * marks the current one')
    .action(
      run(async (ctx) => {
        const config = readUserConfig();
        const contexts = Object.entries(config.contexts).map(([name, c]) => ({ name, server: c.server, user: c.user ?? null, current: name === config.current }));
        emit(ctx.io, ctx.json, { current: config.current ?? null, contexts }, () => table(['CURRENT', 'NAME', 'SERVER', 'USER'], contexts.map((c) => [c.current ? '*' : '', c.name, c.server, c.user])));
      }),
    );
  context
    .command('use <name>')
    .description('make a saved context the current one')
    .action(
      run(async (ctx, [name]) => {
        const file = userConfigPath();
        const config = readUserConfig(file);
        const c = config.contexts[name!];
        if (!c) throw new SlipwayError('SLW_USAGE', `no context named '${name}': see slipway context list, or save it with slipway login --name ${name}`);
        config.current = name!;
        writeUserConfig(config, file);
        emit(ctx.io, ctx.json, { current: name, server: c.server, user: c.user ?? null }, () => `context ${name} is now current (${c.server}${c.user ? `, ${c.user}` : ''})`);
      }),
    );
  context
    .command('show')
    .description('the server and token a command would use now, and where each comes from')
    .action(
      run(async (ctx) => {
        const t = ctx.target;
        const shown = { context: t.context ?? null, server: t.server, serverFrom: t.serverFrom, token: t.token === undefined ? 'none' : 'set', tokenFrom: t.tokenFrom, user: t.tokenFrom === 'context' ? (t.stored?.user ?? null) : null, file: userConfigPath() };
        emit(ctx.io, ctx.json, shown, () =>
          table(
            ['SETTING', 'VALUE', 'FROM'],
            [
              ['context', shown.context ?? '(none)', shown.context ? (ctx.opts.context ? 'flag' : 'current') : ''],
              ['server', shown.server, from[t.serverFrom]],
              ['token', t.token === undefined ? '(none)' : `set${shown.user ? ` (${shown.user})` : ''}`, from[t.tokenFrom]],
              ['file', shown.file, ''],
            ],
          ),
        );
      }),
    );
  context
    .command('remove <name>')
    .description('forget a saved context and its token')
    .action(run(async (ctx, [name]) => remove(ctx, name!)));
}
