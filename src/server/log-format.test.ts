import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatLogLine, wantsPretty } from './log-format.js';
import { parseServerOptions } from './options.js';
import { createLogger } from './start.js';

/** A destination that keeps what it is given; `tty` makes it look like a terminal. */
function capture(tty = false): { stream: NodeJS.WritableStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _e, done) {
      text += chunk.toString();
      done();
    },
  });
  if (tty) Object.assign(stream, { isTTY: true });
  return { stream, text: () => text };
}

const at = Date.UTC(2026, 10, 23, 12, 0, 0, 5);

describe('readable log lines', () => {
  it('formats time, level, message and fields on one line', () => {
    const line = formatLogLine(JSON.stringify({ level: 30, time: at, pid: 1, hostname: 'h', service: 'slipway', msg: 'listening', url: 'http://127.0.0.1:7070', engine: 'sqlite' }));
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.005 INFO  listening url=http:\/\/127\.0\.0\.1:7070 engine=sqlite$/);
  });

  it('shows a request as method, path, status and time', () => {
    const line = formatLogLine(JSON.stringify({ level: 30, time: at, reqId: 'req-7', req: { method: 'GET', url: '/api/v1/whoami', host: 'x' }, res: { statusCode: 200 }, responseTime: 3.21, msg: 'request completed' }));
    expect(line).toMatch(/ INFO  req-7 GET \/api\/v1\/whoami 200 3\.2ms request completed$/);
  });

  it("quotes values with spaces and follows an error with its stack", () => {
    const line = formatLogLine(JSON.stringify({ level: 50, time: at, msg: 'deploy failed', step: 'pull image', err: { type: 'Error', message: 'no such image', stack: 'Error: no such image\n    at pull (x.js:1:1)' } }));
    const [first, ...rest] = line.split('\n');
    expect(first).toMatch(/ ERROR deploy failed err="no such image" step="pull image"$/);
    expect(rest).toEqual(['    Error: no such image', '    at pull (x.js:1:1)']);
  });

  it('passes a line that is not JSON through', () => {
    expect(formatLogLine('plain text')).toBe('plain text');
  });

  it('auto is readable on a terminal only; json and pretty force it', () => {
    expect([wantsPretty('auto', true), wantsPretty('auto', false), wantsPretty('json', true), wantsPretty('pretty', false)]).toEqual([true, false, false, true]);
  });

  it('createLogger: readable lines on a terminal, JSON otherwise, with --log-format json or pretty forcing one', () => {
    for (const [format, tty, json] of [
      ['auto', true, false],
      ['auto', false, true],
      ['json', true, true],
      ['pretty', false, false],
    ] as const) {
      const out = capture(tty);
      createLogger('info', out.stream, format).info({ port: 7070 }, 'listening');
      const text = out.text();
      expect(text.startsWith('{'), `${format} tty=${tty}: ${text}`).toBe(json);
      expect(text).toContain('listening');
      expect(text.split('\n').filter(Boolean)).toHaveLength(1);
    }
  });

  it('redaction still applies in readable mode', () => {
    const out = capture(true);
    const logger = createLogger('info', out.stream, 'pretty');
    logger.info({ token: 'slw_secret_token_1', user: { password: 'pw-secret-2' }, config: { value: 'value-secret-3' }, req: { method: 'GET', url: '/x', headers: { authorization: 'Bearer slw_secret_4' } } }, 'request with secrets');
    // eslint-disable-next-line no-control-regex
    const text = out.text().replace(/\u001b\[\d+m/g, '');
    expect(text).toContain('request with secrets');
    expect(text).toContain('token=[redacted]');
    for (const secret of ['slw_secret_token_1', 'pw-secret-2', 'value-secret-3', 'slw_secret_4']) expect(text).not.toContain(secret);
    expect(text.startsWith('{')).toBe(false);
  });
});

describe('--log-format', () => {
  it('defaults to auto; the flag beats SLIPWAY_LOG_FORMAT; a bad value is refused', () => {
    expect(parseServerOptions({}, {}).logFormat).toBe('auto');
    expect(parseServerOptions({}, { SLIPWAY_LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(parseServerOptions({ logFormat: 'pretty' }, { SLIPWAY_LOG_FORMAT: 'json' }).logFormat).toBe('pretty');
    expect(() => parseServerOptions({ logFormat: 'fancy' }, {})).toThrow(/invalid server option logFormat/);
  });
});
