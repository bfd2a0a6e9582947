/**
 * Turns anything thrown while answering a request into the JSON error body
 * `{ "error": { "code": "SLW_…", "message": "…" } }` with the catalogue's status.
 * Fastify's own errors (bad JSON, body too large, wrong media type) get Slipway codes too; any
 * other throw becomes SLW_INTERNAL with its cause logged, never sent.
 *
 * @module
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError } from 'fastify';
import { SlipwayError, isSlipwayError, type ErrorCode } from '../../core/errors.js';

const fastifyCodes: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'SLW_UNSUPPORTED_MEDIA_TYPE', message: 'send the request body as application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'SLW_VALIDATION', message: 'the Content-Length header does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'SLW_MALFORMED_JSON', message: 'the body is empty but Content-Type is application/json; send a JSON object, or no Content-Type' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'SLW_MALFORMED_JSON', message: 'the body is not valid JSON' },
  FST_ERR_BAD_URL: { code: 'SLW_VALIDATION', message: 'the URL path is not valid percent-encoding' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'SLW_VALIDATION', message: 'a path segment is longer than 320 characters (names are at most 63, keys at most 255)' },
};

/** Maps a thrown value to a SlipwayError and says whether it was expected. */
export function toHttpError(error: unknown, bodyLimit: number): { error: SlipwayError; expected: boolean } {
  if (isSlipwayError(error)) return { error, expected: error.code !== 'SLW_INTERNAL' };
  const fe = error as Partial<FastifyError> & { type?: string };
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fe.statusCode === 413) {
    return { error: new SlipwayError('SLW_PAYLOAD_TOO_LARGE', `the request body is larger than ${bodyLimit} bytes`), expected: true };
  }
  const known = fe.code ? fastifyCodes[fe.code] : undefined;
  if (known) return { error: new SlipwayError(known.code, known.message), expected: true };
  if (error instanceof SyntaxError && fe.statusCode === 400) {
    return { error: new SlipwayError('SLW_MALFORMED_JSON', `the body is not valid JSON (${error.message})`), expected: true };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Other client errors Fastify detects (e.g. prototype poisoning in JSON): say so plainly.
    return { error: new SlipwayError('SLW_VALIDATION', `the request was rejected: ${fe.message ?? 'bad request'}`), expected: true };
  }
  return { error: new SlipwayError('SLW_INTERNAL', 'internal error; the server log has the details', { cause: error }), expected: false };
}

/**
 * The raw HTTP answer to a request Node's parser refused before Fastify saw it (a malformed
 * request line or header, headers over the size limit, a request not received in time): the
 * same Slipway error document as every other refusal, then the connection closes.
 */
export function clientErrorResponse(error: { code?: string }): string {
  const err =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new SlipwayError('SLW_HEADERS_TOO_LARGE', 'the request headers are larger than 16 KiB; send fewer or shorter headers')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new SlipwayError('SLW_REQUEST_TIMEOUT', 'the request was not received in full in time; send it again')
        : new SlipwayError('SLW_MALFORMED_REQUEST', 'the HTTP request is malformed (request line, headers or framing); check the client');
  const body = JSON.stringify({ error: { code: err.code, message: err.message } });
  return `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
