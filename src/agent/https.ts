/** Small HTTPS helpers of the agent: fetch the CA without trusting anything yet, and JSON requests that trust only the pinned CA. */
import { createHash, X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { SlipwayError, type ErrorCode } from '../core/errors.js';

function read(url: string, options: Record<string, unknown>, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: body === undefined ? 'GET' : 'POST', headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 15_000, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => reject(new SlipwayError('SLW_SERVER_UNREACHABLE', `cannot reach the agent gateway at ${url}: ${error.message}`)));
    req.end(body);
  });
}

/**
 * The gateway's CA root, checked against `pin` (SHA-256 of its DER) before anything else is sent.
 * This one request trusts nothing: what it gets is believed only if the pin matches.
 */
export async function fetchPinnedCa(gatewayUrl: string, pin: string): Promise<string> {
  const r = await read(`${gatewayUrl}/v1/ca`, { rejectUnauthorized: false });
  let pem: string;
  try {
    pem = new X509Certificate(r.text).toString();
  } catch {
    throw new SlipwayError('SLW_CA_PIN_MISMATCH', `${gatewayUrl} does not answer a CA certificate: it is not a Slipway agent gateway`);
  }
  const actual = createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
  if (actual !== pin) throw new SlipwayError('SLW_CA_PIN_MISMATCH', `the agent gateway at ${gatewayUrl} presents a CA (sha256 ${actual.slice(0, 16)}…) other than the join token pins (${pin.slice(0, 16)}…); nothing was sent`);
  return pem;
}

/** POSTs JSON to the gateway, trusting only `caPem`; an error answer becomes its SlipwayError. */
export async function postJson<T>(url: string, caPem: string, body: unknown): Promise<T> {
  const r = await read(url, { ca: caPem }, JSON.stringify(body));
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.text);
  } catch {
    throw new SlipwayError('SLW_BAD_RESPONSE', `the agent gateway answered ${r.status} without JSON`);
  }
  if (r.status >= 400) {
    const e = (parsed as { error?: { code?: string; message?: string } }).error;
    throw new SlipwayError((e?.code ?? 'SLW_BAD_RESPONSE') as ErrorCode, e?.message ?? `the agent gateway answered ${r.status}`);
  }
  return parsed as T;
}
