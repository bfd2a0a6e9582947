/**
 * `slipway admin …`: instance administration. `admin token` rotates the first admin's token
 * offline (on the data directory or database, server running or not); `admin master-key` rotates
 * the master key offline (server stopped); `admin tokens …` manage instance tokens through the
 * API with an instance admin token.
 */
import type { Command } from 'commander';
import type { CreatedInstanceToken, InstanceToken, InstanceTokenList } from '../../api/instance.js';
import { SlipwayError } from '../../core/errors.js';
import { parseDuration } from '../../core/tokens.js';
import { apiPath } from '../client.js';
import type { Runner } from '../context.js';
import { emit, shortTime, table, type Io } from '../output.js';


/** `--expires-in 90d` → an ISO time, or undefined without the option. */
function expiresAt(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new SlipwayError('SLW_USAGE', `--expires-in '${value}' is not a duration like 90m, 12h, 30d or 8w`);
  return new Date(Date.now() + ms).toISOString();
}

export function registerAdmin(program: Command, run: Runner, io: Io, fail: (error: unknown) => never): void {
  const admin = program.command('admin').description('instance administration (instance admins)');
  admin
    .command('token')
    .description("offline: mint a new first-admin instance token, revoke the old one(s), write it to <data-dir>/admin-token (mode 0600); works with the server running or stopped")
    .option('--data-dir <dir>', 'the server\'s data directory (default: $SLIPWAY_DATA_DIR or ./.slipway)')
    .option('--database-url <url>', 'PostgreSQL URL of the server\'s store (default: $SLIPWAY_DATABASE_URL, else SQLite in the data dir)')
    .option('--expires-in <duration>', 'lifetime such as 90d or 8w (default: none)')
    .option('--print', 'also print the new token (on stdout; in the JSON as "token")')
    .action(async (flags: { dataDir?: string; databaseUrl?: string; expiresIn?: string; print?: boolean }, cmd: Command) => {
      const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
      try {
        // Loaded here: the store's modules are not needed by any other client command.
        const { resolve } = await import('node:path');
        const { rotateAdminTokenOffline } = await import('../../server/admin-token.js');
        const dataDir = resolve(flags.dataDir ?? (process.env.SLIPWAY_DATA_DIR || '.slipway'));
        const databaseUrl = flags.databaseUrl ?? (process.env.SLIPWAY_DATABASE_URL || undefined);
        const r = await rotateAdminTokenOffline({ dataDir, databaseUrl, expiresAt: expiresAt(flags.expiresIn) });
        const out = { file: r.file, tokenId: r.tokenId, user: r.email, revoked: r.revoked, expiresAt: r.expiresAt, store: r.store, ...(flags.print ? { token: r.token } : {}) };
        emit(io, json, out, () =>
          [
            `new instance admin token for ${r.email} written to ${r.file} (mode 0600)${r.expiresAt ? `; it expires ${shortTime(r.expiresAt)}` : ''}`,
            `revoked ${r.revoked.length} older instance token(s) of ${r.email}; a running server refuses them from now on`,
            ...(flags.print ? [r.token] : []),
          ].join('\n'),
        );
      } catch (error) {
        fail(error);
      }
    });

  admin
    .command('master-key')
    .description('offline: rotate the master key of a STOPPED server (its data directory and store): every secret and credential sealed again with a new key in one transaction, backup headers signed again, the key file replaced')
    .option('--data-dir <dir>', 'the server\'s data directory (default: $SLIPWAY_DATA_DIR or ./.slipway)')
    .option('--database-url <url>', 'PostgreSQL URL of the server\'s store (default: $SLIPWAY_DATABASE_URL, else SQLite in the data dir)')
    .option('--master-key-file <file>', 'the current key\'s file, as the server takes it (default: $SLIPWAY_MASTER_KEY_FILE, else <data-dir>/master.key); it is replaced by the new key')
    .option('--new-key-file <file>', 'take the new key (32 bytes, base64) from this file (default: Slipway makes a random one)')
    .action(async (flags: { dataDir?: string; databaseUrl?: string; masterKeyFile?: string; newKeyFile?: string }, cmd: Command) => {
      const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
      try {
        // Loaded here: the store's modules are not needed by any other client command.
        const { resolve } = await import('node:path');
        const { rotateMasterKeyOffline } = await import('../../server/master-key-rotation.js');
        const dataDir = resolve(flags.dataDir ?? (process.env.SLIPWAY_DATA_DIR || '.slipway'));
        const databaseUrl = flags.databaseUrl ?? (process.env.SLIPWAY_DATABASE_URL || undefined);
        const keyFile = flags.masterKeyFile ?? (process.env.SLIPWAY_MASTER_KEY_FILE || undefined);
        const r = await rotateMasterKeyOffline({ dataDir, databaseUrl, masterKeyFile: keyFile ? resolve(keyFile) : undefined, newKeyFile: flags.newKeyFile ? resolve(flags.newKeyFile) : undefined });
        const total = Object.values(r.resealed).reduce((a, b) => a + b, 0);
        emit(io, json, r, () =>
          [
            `rotated the master key: ${r.keyFile} now holds the new key (mode 0600); back it up now, the old key no longer opens anything in ${r.store}`,
            `sealed again: ${total} envelope(s) (${Object.entries(r.resealed).map(([k, n]) => `${k} ${n}`).join(', ')}); internal CA key: ${r.caKey}`,
            `service backup files: ${r.backups.resigned} signed again${r.backups.unverified > 0 ? `, ${r.backups.unverified} left as they were (missing or not signed by this instance)` : ''}`,
          ].join('\n'),
        );
      } catch (error) {
        fail(error);
      }
    });

  const tokens = admin.command('tokens').description('instance tokens through the API (needs an instance admin token)');
  tokens
    .command('list')
    .description('every instance token (never their values)')
    .action(
      run(async (ctx) => {
        const { tokens: list } = await ctx.client.request<InstanceTokenList>('GET', apiPath('instance', 'tokens'));
        emit(ctx.io, ctx.json, { tokens: list }, () =>
          table(['ID', 'NAME', 'HINT', 'USER', 'EXPIRES', 'LAST USED', 'STATE'], list.map((t) => [t.id, t.name, `${t.hint}…`, t.user.email, shortTime(t.expiresAt), shortTime(t.lastUsedAt), t.revokedAt ? 'revoked' : 'active'])),
        );
      }),
    );
  tokens
    .command('create')
    .description('create an instance token acting as you (shown once); --replace current rotates the calling token')
    .option('--name <name>', 'a label for the token', 'instance admin token')
    .option('--expires-in <duration>', 'lifetime such as 90d or 8w')
    .option('--replace <id>', "revoke this instance token in the same step ('current': the one you call with)")
    .action(
      run(async (ctx) => {
        const t = await ctx.client.request<CreatedInstanceToken>('POST', apiPath('instance', 'tokens'), { name: ctx.opts.name, expiresAt: expiresAt(ctx.opts.expiresIn), replaces: ctx.opts.replace });
        emit(ctx.io, ctx.json, t, () => `${t.token}\n\ninstance token ${t.id} for ${t.user.email}${t.replaced ? `; revoked ${t.replaced}` : ''}; it is shown only now: store it safely`);
      }),
    );
  tokens
    .command('revoke <id>')
    .description('revoke an instance token')
    .action(
      run(async (ctx, [id]) => {
        const t = await ctx.client.request<InstanceToken>('DELETE', apiPath('instance', 'tokens', id ?? ''));
        emit(ctx.io, ctx.json, t, () => `revoked instance token ${t.id} (${t.name})`);
      }),
    );
}
