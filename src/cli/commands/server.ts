/** `slipway server`: the control plane, in the foreground until SIGTERM or SIGINT. */
import type { Command } from 'commander';
import type { Runner } from '../context.js';
import { registerServerCommands } from './servers.js';

/** How long in-flight requests get to finish on shutdown before the process exits anyway. */
const shutdownGraceMs = 10_000;

export function registerServer(program: Command, run: Runner, fail: (error: unknown) => never): void {
  const server = program
    .command('server')
    .description('run the control plane (API, store) in the foreground; its subcommands manage servers joined by agents (server add|list|show|token|revoke|remove)')
    .option('--data-dir <dir>', 'data directory (default: $SLIPWAY_DATA_DIR or ./.slipway)')
    .option('--listen <host:port>', 'address to listen on (default: $SLIPWAY_LISTEN or 127.0.0.1:7070)')
    .option('--database-url <url>', 'PostgreSQL URL (default: $SLIPWAY_DATABASE_URL, else embedded SQLite in the data dir)')
    .option('--proxy-listen <host:port>', 'run the deploy engine with its edge proxy (Caddy) on this address (default: $SLIPWAY_PROXY_LISTEN; none: deploys are refused)')
    .option('--stop-proxy', 'on shutdown, stop the edge proxy too (default: leave it serving deployed environments; the next server adopts it)')
    .option('--public-url <url>', "the URL clients reach this server at, e.g. behind a proxy (default: $SLIPWAY_PUBLIC_URL, else the address each client connected to)")
    .option('--trusted-proxy <ip|cidr>', 'a proxy whose X-Forwarded-* headers are believed; repeatable (default: $SLIPWAY_TRUSTED_PROXIES, comma-separated; none)', (value: string, all: string[] = []) => [...all, value])
    .option('--metrics-listen <host:port>', 'serve GET /metrics without a token on this loopback address (default: $SLIPWAY_METRICS_LISTEN; none: /metrics needs an instance admin token)')
    .option('--max-blob-size <size>', 'largest registry blob, e.g. 10GiB (default: $SLIPWAY_MAX_BLOB_SIZE or 10GiB)')
    .option(
      '--allow-registry-host <host|cidr>',
      'let imports and base images come from this host name, address or CIDR range although it is loopback, private or link-local (repeatable; default: $SLIPWAY_ALLOW_REGISTRY_HOSTS, comma-separated; none)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--allow-service-host <host|cidr>',
      'let workspaces adopt services (databases, Redis, RabbitMQ) on this host name, address or CIDR range although it is loopback, private or link-local (repeatable; default: $SLIPWAY_ALLOW_SERVICE_HOSTS, comma-separated; none)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--allow-git-host <host|cidr>',
      'let projects link git repositories on this host name, address or CIDR range although it is loopback, private or link-local (repeatable; default: $SLIPWAY_ALLOW_GIT_HOSTS, comma-separated; none)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--allow-webhook-host <host|cidr>',
      "let applications' notify URLs (outgoing webhooks) point at this host name, address or CIDR range although it is loopback, private or link-local (repeatable; default: $SLIPWAY_ALLOW_WEBHOOK_HOSTS, comma-separated; none)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--gateway-listen <host:port>', 'run the agent gateway (HTTPS, mTLS) on this address so servers can join (default: $SLIPWAY_GATEWAY_LISTEN; none)')
    .option('--gateway-url <url>', 'the URL agents dial, put in join tokens (default: $SLIPWAY_GATEWAY_URL, else https://LISTEN-HOST:PORT)')
    .option('--acme-directory <url>', "the ACME directory servers' edges get certificates from for public names (default: $SLIPWAY_ACME_DIRECTORY, else Let's Encrypt)")
    .option('--acme-ca-root <file>', "a PEM file of the CA roots servers' edges trust when talking to that directory, for a private ACME CA (default: $SLIPWAY_ACME_CA_ROOT; none)")
    .option('--acme-email <address>', 'the contact address of the ACME account (default: $SLIPWAY_ACME_EMAIL; none)')
    .option('--keep-backups <n>', "service backups kept per attachment, and volume backups per volume: after each new one the oldest beyond N are removed, never one an unfinished herd or service upgrade needs (default: $SLIPWAY_KEEP_BACKUPS or 0: keep every one)")
    .option('--keep-logs <days>', 'remove the step logs of deployments, the output of pipeline runs and the site logs of herd upgrades once they ended this many days ago; the records stay (default: $SLIPWAY_KEEP_LOGS or 0: keep every log)')
    .option('--log-format <format>', 'auto (readable lines on a terminal, JSON otherwise), json or pretty (default: $SLIPWAY_LOG_FORMAT or auto)')
    .action(async (flags: { dataDir?: string; listen?: string; databaseUrl?: string; proxyListen?: string; stopProxy?: boolean; publicUrl?: string; trustedProxy?: string[]; metricsListen?: string; maxBlobSize?: string; allowRegistryHost?: string[]; allowServiceHost?: string[]; allowGitHost?: string[]; allowWebhookHost?: string[]; logFormat?: string; gatewayListen?: string; gatewayUrl?: string; acmeDirectory?: string; acmeCaRoot?: string; acmeEmail?: string; keepBackups?: string; keepLogs?: string }) => {
      try {
        // Loaded here, not at the top: every other command starts without the server's modules.
        const { parseServerOptions } = await import('../../server/options.js');
        const { startServer } = await import('../../server/start.js');
        const server = await startServer(parseServerOptions(flags, process.env));
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          server.logger.info({ signal }, 'shutting down: finishing in-flight requests');
          const force = setTimeout(() => {
            server.logger.error('in-flight requests did not finish in time; exiting');
            process.exit(1);
          }, shutdownGraceMs);
          force.unref();
          server
            .close()
            .then(() => {
              server.logger.info('stopped');
              process.exit(0);
            })
            .catch((error: unknown) => {
              server.logger.error({ err: error }, 'error while stopping');
              process.exit(1);
            });
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
      } catch (error) {
        fail(error);
      }
    });
  registerServerCommands(server, run);
}
