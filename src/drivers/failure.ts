/**
 * What every service driver shares: the refusal of names Slipway did not make, and the mapping
 * of a client library's failure to one of Slipway's codes with a message that never holds a
 * password, an admin URL or the SQL/ACL text sent (client errors often quote the statement).
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { isSlipwayName, type AdminConnection, type ServiceKind } from '../core/services.js';

/** Connect and per-request timeout of every driver call (ms). */
export const driverTimeoutMs = 5_000;

const kindLabel: Record<ServiceKind, string> = { postgres: 'PostgreSQL', mysql: 'MySQL/MariaDB', redis: 'Redis', rabbitmq: 'RabbitMQ', custom: 'the custom service' };

/** Refuses a name that is not Slipway's own (`slw_<10>` or `slw_<10>_<generation>`). */
export function assertName(name: string, what: 'resource' | 'user'): void {
  const isUser = /^slw_[a-z0-9]{10}_[0-9]{1,9}$/.test(name);
  if (!isSlipwayName(name) || (what === 'user') !== isUser) {
    throw new SlipwayError('SLW_INTERNAL', `refused to touch ${what} ${JSON.stringify(name.slice(0, 40))}: not a name Slipway made`);
  }
}

/** Refuses a user that does not belong to `resource` (`<resource>_<generation>`). */
export function assertUserOf(resource: string, user: string): void {
  assertName(resource, 'resource');
  assertName(user, 'user');
  if (!user.startsWith(`${resource}_`)) throw new SlipwayError('SLW_INTERNAL', `refused: user ${user} does not belong to ${resource}`);
}

/** The network failures Node and the client libraries report with a `code`. */
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'EPIPE', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'PROTOCOL_CONNECTION_LOST']);

/** The `code` of an error or of its cause chain (fetch wraps the socket error in `cause`). */
export function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const { code, errno, name } = current as { code?: unknown; errno?: unknown; name?: unknown };
    if (typeof code === 'string') codes.push(code);
    if (typeof errno === 'number') codes.push(String(errno));
    if (typeof name === 'string' && (name === 'TimeoutError' || name === 'AbortError')) codes.push('ETIMEDOUT');
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

export function isNetworkFailure(err: unknown): boolean {
  if (errorCodes(err).some((c) => networkCodes.has(c))) return true;
  const message = err instanceof Error ? err.message : '';
  return /timeout expired|connection timeout|Connection terminated unexpectedly|connect ETIMEDOUT|Connection is closed|socket hang up/i.test(message);
}

/** Where: `PostgreSQL at 127.0.0.1:5432` (never the admin URL: it carries the password). */
export function where(admin: AdminConnection): string {
  return `${kindLabel[admin.kind]} at ${admin.host}:${admin.port}`;
}

export function unreachable(admin: AdminConnection, detail: string): SlipwayError {
  return new SlipwayError('SLW_SERVICE_UNREACHABLE', `${where(admin)} does not answer (${detail}); check the host and port of the admin URL and that the server runs and accepts connections from Slipway; nothing was changed`);
}

export function authFailed(admin: AdminConnection, what: string): SlipwayError {
  return new SlipwayError('SLW_SERVICE_AUTH', `${where(admin)} ${what}`);
}

/** Replaces every secret in `text` by `***` (a last guard: messages are built without them). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('***');
  return out;
}

/**
 * An unexpected failure of `step` as SLW_INTERNAL: only the server's error code and a redacted,
 * shortened first line of its message; the original error (which may quote the statement) is
 * not kept as the cause.
 */
export function internal(admin: AdminConnection, step: string, err: unknown, secrets: readonly string[]): SlipwayError {
  const code = errorCodes(err)[0];
  const raw = err instanceof Error ? err.message : String(err);
  const line = redact(raw.split('\n')[0] ?? '', [...secrets, admin.password]).slice(0, 200);
  return new SlipwayError('SLW_INTERNAL', `${where(admin)}: ${step} failed${code === undefined ? '' : ` (${code})`}: ${line}`);
}
