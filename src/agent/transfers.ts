/**
 * The agent's half of a volume transfer (src/fleet/transfers.ts): the tar goes up to the
 * gateway (`PUT /v1/transfers/{id}`) or comes down from it (`GET`), over this server's own mTLS
 * connection (its certificate, only the pinned CA trusted), never over the session's WebSocket.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SlipwayError, errorCatalog, type ErrorCode } from '../core/errors.js';
import type { AgentIdentity } from './state.js';

export interface GatewayTransfers {
  upload(id: string, tar: AsyncIterable<Uint8Array>): Promise<void>;
  download(id: string): Promise<AsyncIterable<Uint8Array>>;
}

/** The gateway's JSON error as a SlipwayError (its code when it is one Slipway knows). */
async function errorOf(res: IncomingMessage): Promise<SlipwayError> {
  const chunks: Buffer[] = [];
  for await (const c of res) {
    chunks.push(c as Buffer);
    if (chunks.length > 64) break;
  }
  let code: ErrorCode = 'SLW_INTERNAL';
  let message = `the gateway answered HTTP ${res.statusCode ?? '?'} to a volume transfer`;
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: string; message?: string } };
    if (body.error?.code && body.error.code in errorCatalog) code = body.error.code as ErrorCode;
    if (body.error?.message) message = body.error.message;
  } catch {
    // not JSON: the status says it
  }
  return new SlipwayError(code, message);
}

export function gatewayTransfers(identity: () => AgentIdentity): GatewayTransfers {
  const open = (id: string, method: 'PUT' | 'GET') => {
    const me = identity();
    const agent = new HttpsAgent({ keepAlive: false, ca: me.caPem, cert: me.certificatePem, key: me.keyPem });
    const url = new URL(`/v1/transfers/${encodeURIComponent(id)}`, me.gatewayUrl);
    const req = request(url, { method, agent, headers: method === 'PUT' ? { 'content-type': 'application/x-tar' } : {} });
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
    });
    return { req, answered };
  };
  return {
    async upload(id, tar) {
      const { req, answered } = open(id, 'PUT');
      // The transfer counts as started when its headers arrive, not at the first byte (after a pull of the image, say).
      req.flushHeaders();
      const outcome = answered.then(async (res) => {
        if (res.statusCode !== 204) {
          const error = await errorOf(res);
          req.destroy();
          throw error;
        }
        res.resume();
      });
      outcome.catch(() => undefined);
      try {
        await pipeline(Readable.from(tar), req);
      } catch (error) {
        // The gateway's refusal says more than the broken pipe it caused.
        await outcome;
        throw error;
      }
      await outcome;
    },
    async download(id) {
      const { req, answered } = open(id, 'GET');
      req.end();
      const res = await answered;
      if (res.statusCode !== 200) throw await errorOf(res);
      return res;
    },
  };
}
