/**
 * `slipway proxy stop`: stops the edge proxy (Caddy) of a data directory on purpose. A server's
 * stop leaves its proxy serving deployed environments (the next server adopts it); this is how
 * to end it, on the machine itself, with no server running on that directory.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { emit, type Io } from '../output.js';

export function registerProxy(program: Command, io: Io, fail: (error: unknown) => never): void {
  const proxy = program.command('proxy').description('the edge proxy (Caddy) that serves deployed environments, on this machine');
  proxy
    .command('stop')
    .description('stop the edge proxy of a data directory (no server may run on it; traffic to its environments stops)')
    .option('--data-dir <dir>', 'data directory of the server the proxy belongs to (default: $SLIPWAY_DATA_DIR or ./.slipway)')
    .action(async (flags: { dataDir?: string }, cmd: Command) => {
      try {
        const dataDir = resolve(flags.dataDir ?? (process.env.SLIPWAY_DATA_DIR || '.slipway'));
        // Loaded here, not at the top: other commands start without the server's modules.
        const { stopProxyOf } = await import('../../server/deploy-backend.js');
        const stopped = await stopProxyOf(dataDir);
        const json = cmd.optsWithGlobals<{ json?: boolean }>().json === true;
        emit(io, json, { dataDir, stopped }, () => (stopped ? `stopped the edge proxy of ${dataDir}` : `no edge proxy was running for ${dataDir}`));
      } catch (error) {
        fail(error);
      }
    });
}
