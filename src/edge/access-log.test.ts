import { describe, expect, it } from 'vitest';
import { AccessCounter, buildServerLogs, parseAccessLine } from './access-log.js';

// A line as Caddy 2.6.2 writes it for a mapped host (seen with `logger_names` and a 500 answer).
const line = (host: string, status: number, agent = 'curl/7.88') =>
  JSON.stringify({ level: status >= 500 ? 'error' : 'info', ts: 1, logger: 'http.log.access.slipway-gate', msg: 'handled request', request: { remote_ip: '127.0.0.1', proto: 'HTTP/1.1', method: 'GET', host, uri: '/x', headers: { 'User-Agent': [agent] } }, duration: 0.0001, size: 0, status });

describe('edge access log for the health gate', () => {
  it('logs only the watched hosts, bare and with the proxy port', () => {
    expect(buildServerLogs([], 8080)).toBeNull();
    expect(buildServerLogs(['b.localhost', 'a.localhost'], 8080)).toEqual({
      logger_names: { 'a.localhost': 'slipway-gate', 'a.localhost:8080': 'slipway-gate', 'b.localhost': 'slipway-gate', 'b.localhost:8080': 'slipway-gate' },
      skip_unmapped_hosts: true,
    });
  });

  it('reads host, status and whether a line is a probe; ignores every other line', () => {
    expect(parseAccessLine(line('A.localhost:8080', 500))).toEqual({ host: 'a.localhost', status: 500, probe: false });
    expect(parseAccessLine(line('a.localhost', 200, 'slipway-health-gate'))).toEqual({ host: 'a.localhost', status: 200, probe: true });
    expect(parseAccessLine('{"level":"info","logger":"http.log","msg":"server running"}')).toBeNull();
    expect(parseAccessLine('not json "http.log.access.slipway-gate"')).toBeNull();
  });

  it('counts requests and 5xx per watched host between takes, probes left out', () => {
    const c = new AccessCounter();
    expect(c.watch('a.localhost')).toEqual(['a.localhost']);
    for (const s of [200, 500, 502, 404]) c.onLine(line('a.localhost', s));
    c.onLine(line('a.localhost', 500, 'slipway-health-gate'));
    c.onLine(line('b.localhost', 500));
    expect(c.take('a.localhost')).toEqual({ requests: 4, errors: 2 });
    expect(c.take('a.localhost')).toEqual({ requests: 0, errors: 0 });
    c.watch('a.localhost');
    expect(c.unwatch('a.localhost')).toEqual(['a.localhost']);
    expect(c.unwatch('a.localhost')).toEqual([]);
  });
});
