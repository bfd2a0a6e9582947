/**
 * The agent's session with the gateway: one WebSocket over mTLS, redialled with backoff and
 * jitter when it drops. It says hello, heartbeats with metrics at the interval the gateway sets,
 * and renews its certificate over the session at two thirds of its lifetime (the new key is made
 * here, only the CSR travels). A revoked server or a refused certificate ends the agent with a
 * clear error; anything else is retried.
 *
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { hostname } from 'node:os';
import WebSocket from 'ws';
import type { AgentMessage, GatewayMessage } from '../api/agent-protocol.js';
import type { ServerMetrics } from '../api/servers.js';
import { SlipwayError, type ErrorCode } from '../core/errors.js';
import { newKeyAndCsr } from '../fleet/ca.js';
import { closeCodes } from '../fleet/sessions.js';
import { slipwayVersion } from '../platform/version.js';
import { saveIdentity, type AgentIdentity } from './state.js';

export interface SessionEvents {
  connected?(): void;
  disconnected?(code: number): void;
  heartbeatAcked?(seq: number, rttMs: number): void;
  renewed?(notAfter: string): void;
  log?(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface SessionOptions {
  dataDir: string;
  identity: AgentIdentity;
  advertiseAddress: string | null;
  metrics: () => Promise<ServerMetrics>;
  events?: SessionEvents;
  /** The longest wait between two dials while the gateway cannot be reached (before jitter). @default 15_000 */
  maxBackoffMs?: number;
  /** The desired state and commands of the control plane, and the session's opening (to report the status afresh). */
  handlers?: {
    opened?(): void;
    /** The gateway's welcome (once per session): the instance's settings for this server. */
    welcome?(m: Extract<GatewayMessage, { type: 'welcome' }>): void;
    desired?(m: Extract<GatewayMessage, { type: 'desired' }>): void;
    command?(id: string, command: Extract<GatewayMessage, { type: 'command' }>['command']): void;
  };
}

export interface AgentSession {
  /** Ends when the agent stops: resolves on stop(), rejects when the gateway refuses it for good. */
  done: Promise<void>;
  stop(): void;
  /** The identity in use now (renewals replace it). */
  identity(): AgentIdentity;
  /** Sends a message when the session is open (dropped otherwise: status is sent afresh at each open). */
  send(m: AgentMessage): void;
}

const fatalCodes = new Set<string>(['SLW_SERVER_REVOKED', 'SLW_AGENT_CERT_INVALID']);

function lifetime(pem: string): { from: number; to: number } {
  const c = new X509Certificate(pem);
  return { from: Date.parse(c.validFrom), to: Date.parse(c.validTo) };
}

export function runSession(options: SessionOptions): AgentSession {
  const ev = options.events ?? {};
  let identity = options.identity;
  let stopped = false;
  let ws: WebSocket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  const maxBackoffMs = options.maxBackoffMs ?? 15_000;
  let backoffMs = Math.min(500, maxBackoffMs);
  let seq = 0;
  const sentAt = new Map<number, number>();
  let renewing: { id: string; keyPem: string } | null = null;
  /** When the gateway was last heard from (a message or a ping): silence for three heartbeats ends the session. */
  let lastHeard = Date.now();
  let settle!: { resolve: () => void; reject: (e: Error) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));

  const send = (m: AgentMessage) => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));

  const fail = (code: string, message: string) => {
    stopped = true;
    clearTimeout(timer);
    clearTimeout(retry);
    ws?.terminate();
    settle.reject(new SlipwayError(code as ErrorCode, message));
  };

  /** Renews at two thirds of the certificate's life, or now when the control plane asks (a key rotation). */
  async function maybeRenew(now = false) {
    if (renewing) return;
    const { from, to } = lifetime(identity.certificatePem);
    if (!now && Date.now() < from + ((to - from) * 2) / 3) return;
    const { keyPem, csrPem } = await newKeyAndCsr(hostname());
    renewing = { id: `renew-${Date.now()}`, keyPem };
    send({ type: 'renew', id: renewing.id, csr: csrPem });
  }

  async function sendBeat() {
    const metrics = await options.metrics();
    seq += 1;
    sentAt.set(seq, performance.now());
    if (sentAt.size > 100) sentAt.delete(sentAt.keys().next().value!);
    send({ type: 'heartbeat', seq, metrics });
    await maybeRenew();
  }

  /** Heartbeats every `intervalMs` (±10 %, so agents do not beat in step) while the session is open. */
  function beat(intervalMs: number, socket: WebSocket) {
    timer = setTimeout(() => {
      if (Date.now() - lastHeard > intervalMs * 3 + 2000) {
        ev.log?.('warn', `no word from the gateway for ${Math.round((Date.now() - lastHeard) / 1000)} s; reconnecting`);
        socket.terminate();
        return;
      }
      sendBeat()
        .catch((error: unknown) => ev.log?.('warn', `heartbeat failed: ${(error as Error).message}`))
        .finally(() => {
          if (!stopped && ws === socket && socket.readyState === WebSocket.OPEN) beat(intervalMs, socket);
        });
    }, intervalMs * (0.9 + Math.random() * 0.2));
  }

  function onMessage(m: GatewayMessage) {
    switch (m.type) {
      case 'welcome':
        backoffMs = Math.min(500, maxBackoffMs);
        options.handlers?.welcome?.(m);
        clearTimeout(timer);
        void sendBeat().catch((error: unknown) => ev.log?.('warn', `heartbeat failed: ${(error as Error).message}`));
        if (ws) beat(m.heartbeatSeconds * 1000, ws);
        return;
      case 'ack': {
        const t = sentAt.get(m.seq);
        sentAt.delete(m.seq);
        if (t !== undefined) ev.heartbeatAcked?.(m.seq, performance.now() - t);
        return;
      }
      case 'renewed':
        if (renewing?.id !== m.id) return;
        identity = { ...identity, keyPem: renewing.keyPem, certificatePem: m.certificate, notAfter: m.notAfter };
        renewing = null;
        saveIdentity(options.dataDir, identity);
        ev.log?.('info', `certificate renewed; valid until ${m.notAfter}`);
        ev.renewed?.(m.notAfter);
        return;
      case 'desired':
        options.handlers?.desired?.(m);
        return;
      case 'rotate':
        ev.log?.('info', 'the control plane asks for a new key and certificate');
        void maybeRenew(true).catch((error: unknown) => ev.log?.('warn', `renewal failed: ${(error as Error).message}`));
        return;
      case 'command':
        options.handlers?.command?.(m.id, m.command);
        return;
      case 'error':
        if (m.id && renewing?.id === m.id) renewing = null;
        ev.log?.('warn', `gateway: ${m.code}: ${m.message}`);
        if (fatalCodes.has(m.code)) fail(m.code, m.message);
        return;
    }
  }

  function connect() {
    if (stopped) return;
    const url = `${identity.gatewayUrl.replace(/^https:/, 'wss:')}/v1/session`;
    const socket = new WebSocket(url, { ca: identity.caPem, cert: identity.certificatePem, key: identity.keyPem, handshakeTimeout: 10_000, maxPayload: 64 * 1024 * 1024 });
    ws = socket;
    socket.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let code = 'SLW_BAD_RESPONSE';
        let message = `the gateway refused the session (HTTP ${res.statusCode ?? 0})`;
        try {
          const e = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: string; message?: string } }).error;
          if (e?.code) code = e.code;
          if (e?.message) message = e.message;
        } catch {
          // not a gateway answer: retried below
        }
        ws = undefined;
        socket.terminate();
        if (fatalCodes.has(code)) fail(code, message);
        else {
          ev.log?.('warn', `session refused: ${code}: ${message}`);
          scheduleRetry();
        }
      });
    });
    socket.on('open', () => {
      lastHeard = Date.now();
      ev.log?.('info', `connected to ${identity.gatewayUrl} as server '${identity.serverName}'`);
      ev.connected?.();
      send({ type: 'hello', agentVersion: slipwayVersion(), hostname: hostname(), advertiseAddress: options.advertiseAddress });
      options.handlers?.opened?.();
    });
    socket.on('ping', () => (lastHeard = Date.now()));
    socket.on('message', (data) => {
      lastHeard = Date.now();
      try {
        onMessage(JSON.parse(String(data)) as GatewayMessage);
      } catch (error) {
        ev.log?.('warn', `unreadable gateway message: ${(error as Error).message}`);
      }
    });
    socket.on('error', (error) => {
      if (!stopped && ws === socket && socket.readyState !== WebSocket.CLOSED) ev.log?.('warn', `session error: ${error.message}`);
    });
    socket.on('close', (code, reason) => {
      clearTimeout(timer);
      if (ws !== socket || stopped) return;
      ev.disconnected?.(code);
      if (code === closeCodes.revoked) return fail('SLW_SERVER_REVOKED', String(reason) || 'this server was revoked');
      ev.log?.('warn', `session closed (${code}${reason.length ? `: ${String(reason)}` : ''}); reconnecting`);
      scheduleRetry();
    });
  }

  function scheduleRetry() {
    if (stopped) return;
    clearTimeout(retry);
    const wait = backoffMs * (0.5 + Math.random());
    backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
    retry = setTimeout(connect, wait);
  }

  connect();
  return {
    done,
    identity: () => identity,
    send: (m) => void send(m),
    stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      clearTimeout(retry);
      ws?.close(1000, 'agent stopping');
      settle.resolve();
    },
  };
}
