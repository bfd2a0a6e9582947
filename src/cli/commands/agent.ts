/** `slipway agent`: the daemon of a server joined to a control plane (runs in the foreground until SIGTERM or SIGINT). */
import type { Command } from 'commander';
import { SlipwayError } from '../../core/errors.js';

export function registerAgent(program: Command, fail: (error: unknown) => never): void {
  program
    .command('agent')
    .description("run this server's agent: joins once with a token from 'slipway server add', then dials the control plane's agent gateway over mTLS, heartbeats and renews its certificate")
    .requiredOption('--data-dir <dir>', "the agent's data directory (its key, certificate and the pinned CA; mode 0700)")
    .option('--join <token>', 'the join token (only for the first start); - reads it from stdin, which keeps it out of the process list')
    .option('--join-file <file>', 'read the join token from this file instead')
    .option('--docker-host <unix:///path>', 'the Docker engine of this server (default unix:///var/run/docker.sock)')
    .option('--advertise-address <ip>', 'the address other servers and the edge reach this server at')
    .action(async (flags: { dataDir: string; join?: string; joinFile?: string; dockerHost?: string; advertiseAddress?: string }) => {
      try {
        if (flags.join !== undefined && flags.joinFile !== undefined) throw new SlipwayError('SLW_USAGE', 'give --join or --join-file, not both');
        let token = flags.join;
        if (flags.joinFile !== undefined) token = (await import('node:fs')).readFileSync(flags.joinFile, 'utf8').trim();
        else if (token === '-') token = (await (await import('../stdin.js')).readHidden('join token (input hidden): ', 'the join token is empty: pipe it on stdin')).trim();
        const { startAgent } = await import('../../agent/main.js');
        const line = (level: string, message: string) => process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
        const agent = await startAgent({ dataDir: flags.dataDir, joinToken: token, dockerHost: flags.dockerHost, advertiseAddress: flags.advertiseAddress, events: { log: line } });
        const stop = () => agent.stop();
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
        await agent.done;
        line('info', 'agent stopped');
        process.exit(0);
      } catch (error) {
        fail(error);
      }
    });
}
