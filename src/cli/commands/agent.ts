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
    .option('--advertise-address <ip>', 'the address this server is reached at: its edge listens there (default: every address)')
    .option('--http-port <port>', "the port of this server's edge for HTTP (default 80); 'none': no edge", '80')
    .option('--https-port <port>', "the port of this server's edge for HTTPS, with automatic certificates; HTTP then redirects to it (default 443); 'none': HTTP only", '443')
    .option('--registry-port <port>', "the loopback port the Docker engine pulls images through (the agent's registry proxy over mTLS; default 7079)", '7079')
    .action(async (flags: { dataDir: string; join?: string; joinFile?: string; dockerHost?: string; advertiseAddress?: string; httpPort: string; httpsPort: string; registryPort: string }) => {
      try {
        if (flags.join !== undefined && flags.joinFile !== undefined) throw new SlipwayError('SLW_USAGE', 'give --join or --join-file, not both');
        let token = flags.join;
        if (flags.joinFile !== undefined) token = (await import('node:fs')).readFileSync(flags.joinFile, 'utf8').trim();
        else if (token === '-') token = (await (await import('../stdin.js')).readHidden('join token (input hidden): ', 'the join token is empty: pipe it on stdin')).trim();
        const port = (value: string, what: string) => {
          const n = Number(value);
          if (!Number.isInteger(n) || n < 1 || n > 65535) throw new SlipwayError('SLW_USAGE', `${what} '${value}' is not a port (1-65535)`);
          return n;
        };
        const httpPort = flags.httpPort === 'none' ? null : port(flags.httpPort, '--http-port');
        const httpsPort = flags.httpsPort === 'none' || httpPort === null ? null : port(flags.httpsPort, '--https-port');
        if (httpsPort !== null && httpsPort === httpPort) throw new SlipwayError('SLW_USAGE', `--http-port and --https-port are both ${httpPort}; give them different ports`);
        const registryPort = port(flags.registryPort, '--registry-port');
        // SLIPWAY_AGENT_MAX_BACKOFF: the longest wait in seconds between two dials of an unreachable gateway
        // (default 15; the end-to-end tests use 1, so an agent is back within about a second of a control-plane restart).
        const maxBackoff = process.env.SLIPWAY_AGENT_MAX_BACKOFF;
        if (maxBackoff !== undefined && maxBackoff !== '' && !/^[1-9]\d{0,3}$/.test(maxBackoff)) throw new SlipwayError('SLW_USAGE', `SLIPWAY_AGENT_MAX_BACKOFF '${maxBackoff}' is not a whole number of seconds (1-9999)`);
        const maxBackoffMs = maxBackoff ? Number(maxBackoff) * 1000 : undefined;
        const { startAgent } = await import('../../agent/main.js');
        const line = (level: string, message: string) => process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
        const agent = await startAgent({ dataDir: flags.dataDir, joinToken: token, dockerHost: flags.dockerHost, advertiseAddress: flags.advertiseAddress, httpPort, httpsPort, registryPort, maxBackoffMs, events: { log: line } });
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
