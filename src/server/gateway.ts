/**
 * The agent gateway: an HTTPS listener of its own (TLS with a certificate of the internal CA).
 *
 * - `GET /v1/ca`: the CA root, PEM. An agent fetches it without trusting anything yet and checks
 *   it against the pin in its join token before it sends a byte of the token.
 * - `POST /v1/enroll`: a join token and a CSR → the agent's certificate.
 * - `GET /v1/session` (WebSocket upgrade): only with a client certificate of the CA that names an
 *   active server; anything else is refused before the upgrade with a JSON error.
 * - `/v2/…` (GET, HEAD): the registry, for pulls by active servers' agents.
 * - `PUT|GET /v1/transfers/{id}`: a volume's tar up from or down to the agent of the one active
 *   server the transfer was opened for (src/fleet/transfers.ts); any other gets SLW_NOT_FOUND.
 *
 * The gateway never logs a message body (a renewal's CSR is harmless; later messages carry
 * secrets), only who connected and why a handshake was refused.
 *
 * @module
 */
import { createServer, type Server } from 'node:https';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { agentMessage, enrollBody } from '../api/agent-protocol.js';
import { SlipwayError, errorCatalog, isSlipwayError, type ErrorCode } from '../core/errors.js';
import { serverIdOf } from '../fleet/ca.js';
import { forwardable } from '../platform/proxy-headers.js';
import { enroll } from '../fleet/enroll.js';
import type { FleetContext } from '../fleet/servers.js';
import { ServerRows } from '../fleet/server-rows.js';
import { openSession } from '../fleet/session.js';
import { closeCodes } from '../fleet/sessions.js';
import type { Logger } from 'pino';

const maxBody = 64 * 1024;

function errorBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** Answers the error, unless the answer has begun or the connection is gone (a transfer broken off): then it is closed. */
function sendError(res: ServerResponse, error: SlipwayError): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  res.writeHead(error.status, { 'content-type': 'application/json' }).end(errorBody(error.code, error.message));
}

function refuseUpgrade(socket: Duplex, code: ErrorCode, message: string): void {
  const body = errorBody(code, message);
  const status = errorCatalog[code].status;
  socket.end(`HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw new SlipwayError('SLW_PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBody} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new SlipwayError('SLW_MALFORMED_JSON', 'the request body is not JSON');
  }
}

export interface RunningGateway {
  url: string;
  /** The address it listens on (host:port). */
  address: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Forwards a registry request of an agent (its client certificate names an active server) to the
 * control plane's own registry: agents pull over this mTLS connection, never over plain HTTP.
 */
function proxyRegistry(req: IncomingMessage, res: ServerResponse, api: { host: string; port: number }): void {
  const headers = forwardable(req.headers);
  headers.host = `${api.host}:${api.port}`;
  const upstream = httpRequest({ host: api.host, port: api.port, method: req.method, path: req.url, headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, forwardable(up.headers));
    up.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) sendError(res, new SlipwayError('SLW_INTERNAL', 'the registry did not answer'));
    else res.destroy();
  });
  req.pipe(upstream);
}

/** The id of the active server whose agent's client certificate the request came with; SLW_AGENT_CERT_INVALID otherwise. */
async function activeServer(ctx: FleetContext, req: IncomingMessage, what: string): Promise<string> {
  const tls = req.socket as TLSSocket;
  const cert = tls.getPeerX509Certificate();
  const serverId = cert && tls.authorized ? serverIdOf(cert) : null;
  const row = serverId ? await ctx.db.selectFrom('servers').select('state').where('id', '=', serverId).executeTakeFirst() : undefined;
  if (!serverId || row?.state !== 'active') throw new SlipwayError('SLW_AGENT_CERT_INVALID', `${what} is for joined servers' agents (a valid client certificate of an active server)`);
  return serverId;
}

export async function startGateway(ctx: FleetContext, listen: { host: string; port: number }, url: string | undefined, logger: Logger, api: { host: string; port: number } | null): Promise<RunningGateway> {
  const log = logger.child({ component: 'gateway' });
  const hosts = ['localhost', '127.0.0.1', listen.host, ...(url ? [new URL(url).hostname] : [])].filter((h) => h !== '0.0.0.0' && h !== '::');
  const tlsIdentity = await ctx.ca.gatewayCertificate(hosts);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const rows = new ServerRows(ctx.db);

  const server = createServer({ key: tlsIdentity.keyPem, cert: tlsIdentity.certificatePem, ca: [ctx.ca.rootPem], requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' }, (req, res) => {
    // Read now: once a broken-off transfer's connection is gone, req.socket is null.
    const from = req.socket?.remoteAddress;
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/v1/ca') {
        res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(ctx.ca.rootPem);
        return;
      }
      if (path === '/v2' || path?.startsWith('/v2/')) {
        if (!api) throw new SlipwayError('SLW_ROUTE_NOT_FOUND', 'this gateway serves no registry');
        // Pulls only, on plain registry paths: nothing here may reach another route of the API.
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new SlipwayError('SLW_FORBIDDEN', 'the registry through the agent gateway is for pulls (GET and HEAD)');
        if (!/^\/v2\/?[A-Za-z0-9._:@/-]*$/.test(path) || /(^|\/)\.\.?(\/|$)|\/\//.test(path.slice(1))) throw new SlipwayError('SLW_VALIDATION', 'not a registry path');
        await activeServer(ctx, req, 'the registry through the agent gateway');
        proxyRegistry(req, res, api);
        return;
      }
      // Volume transfers an agent was asked for (src/fleet/transfers.ts): its tar up (PUT) or down (GET).
      const transfer = /^\/v1\/transfers\/([0-9a-f-]{36})$/.exec(path ?? '');
      if (transfer && (req.method === 'PUT' || req.method === 'GET')) {
        const serverId = await activeServer(ctx, req, 'a volume transfer');
        if (req.method === 'PUT') await ctx.state.transfers.receive(transfer[1]!, serverId, req, res);
        else await ctx.state.transfers.send(transfer[1]!, serverId, res);
        return;
      }
      if (req.method === 'POST' && path === '/v1/enroll') {
        const parsed = enrollBody.safeParse(await readJson(req));
        if (!parsed.success) throw new SlipwayError('SLW_VALIDATION', `the enrolment request is malformed: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`);
        const result = await enroll(ctx, parsed.data);
        log.info({ server: result.serverName, from }, `server '${result.serverName}' joined`);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
        return;
      }
      throw new SlipwayError('SLW_ROUTE_NOT_FOUND', `no gateway route ${req.method ?? ''} ${path ?? ''}`);
    })().catch((error: unknown) => {
      if (isSlipwayError(error)) {
        log.warn({ code: error.code, from }, `gateway request refused: ${error.code}`);
        sendError(res, error);
      } else {
        log.error({ err: error }, 'gateway request failed');
        sendError(res, new SlipwayError('SLW_INTERNAL', 'internal error'));
      }
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void (async () => {
      const tls = req.socket as TLSSocket;
      if ((req.url ?? '').split('?')[0] !== '/v1/session') return refuseUpgrade(socket, 'SLW_ROUTE_NOT_FOUND', 'the agent session is at /v1/session');
      const cert = tls.getPeerX509Certificate();
      if (!cert) return refuseUpgrade(socket, 'SLW_AGENT_CERT_INVALID', 'no client certificate was presented; join the server first (slipway agent --join TOKEN)');
      if (!tls.authorized) return refuseUpgrade(socket, 'SLW_AGENT_CERT_INVALID', `the client certificate is refused (${String(tls.authorizationError)}): it is expired or not issued by this instance's CA; join the server again with a new token`);
      const serverId = serverIdOf(cert);
      const row = serverId ? await ctx.db.selectFrom('servers').select(['id', 'name', 'state']).where('id', '=', serverId).executeTakeFirst() : undefined;
      if (!row) return refuseUpgrade(socket, 'SLW_AGENT_CERT_INVALID', 'the client certificate names no server of this instance (was it removed?)');
      if (row.state === 'revoked') {
        log.warn({ server: row.name, from: req.socket.remoteAddress }, `refused a handshake of revoked server '${row.name}'`);
        return refuseUpgrade(socket, 'SLW_SERVER_REVOKED', `server '${row.name}' was revoked: this agent is refused for good`);
      }
      if (row.state !== 'active') return refuseUpgrade(socket, 'SLW_AGENT_CERT_INVALID', `server '${row.name}' has not joined`);
      wss.handleUpgrade(req, socket, head, (ws) => void runSession(ws, row));
    })().catch((error: unknown) => {
      log.error({ err: error }, 'agent handshake failed');
      refuseUpgrade(socket, 'SLW_INTERNAL', 'internal error');
    });
  });

  async function runSession(ws: WebSocket, server: { id: string; name: string }) {
    const channel = { send: (m: unknown) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(m)), close: (code: number, reason: string) => ws.close(code, reason) };
    const handler = await openSession(ctx, server, channel, rows);
    log.info({ server: server.name }, `agent of server '${server.name}' connected`);
    let lastSeen = Date.now();
    const watchdog = setInterval(() => {
      // Three heartbeats missed: the session is dead even if TCP does not know yet. A quiet one is
      // pinged; one that beat within the interval has shown it is alive (and its ack went back).
      const quietMs = Date.now() - lastSeen;
      if (quietMs > ctx.heartbeatSeconds * 3000 + 1000) ws.terminate();
      else if (quietMs >= ctx.heartbeatSeconds * 1000) ws.ping();
    }, ctx.heartbeatSeconds * 1000);
    ws.on('pong', () => (lastSeen = Date.now()));
    let queue = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      lastSeen = Date.now();
      let parsed;
      try {
        parsed = isBinary ? undefined : agentMessage.safeParse(JSON.parse(String(data)));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) {
        ws.close(closeCodes.protocol, 'SLW_VALIDATION: not an agent message');
        return;
      }
      const message = parsed.data;
      queue = queue.then(() => handler.message(message)).catch((error: unknown) => log.error({ err: error, server: server.name }, 'agent message failed'));
    });
    ws.on('close', (code) => {
      clearInterval(watchdog);
      void handler.closed().catch((error: unknown) => log.error({ err: error }, 'closing agent session failed'));
      log.info({ server: server.name, code }, `agent of server '${server.name}' disconnected`);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new SlipwayError('SLW_SERVER_CONFIG', `cannot listen for agents on ${listen.host}:${listen.port}: ${e.message}`, { cause: e })));
    server.listen(listen.port, listen.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const gatewayUrl = url ?? `https://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  return {
    url: gatewayUrl,
    address: `${host}:${port}`,
    server,
    close: async () => {
      ctx.sessions.closeAll(closeCodes.shutdown, 'the control plane is stopping');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // The sessions' last rows (written at disconnect) are stored before the store may close.
      await rows.idle();
    },
  };
}
