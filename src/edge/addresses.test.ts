/** What the edge accepts as route hosts, upstreams and its own listen address. */
import { describe, expect, it } from 'vitest';
import { assertLoopbackAddress, assertUpstreamAddress, isRouteHost, upstreamProblem } from './addresses.js';

describe('upstream addresses', () => {
  it('accepts loopback, routable IPv4, bracketed IPv6 and host names, each with a port', () => {
    for (const ok of [
      '127.0.0.1:8080', 'localhost:3000', '10.1.2.3:32768', '192.168.0.10:1', '172.17.0.2:65535',
      '[::1]:8080', '[fd00::1234:5]:443', '[::ffff:10.0.0.1]:80', 'app.internal:8080', 'node-7.fleet.example.com:9000', 'API:80',
    ]) {
      expect(upstreamProblem(ok), ok).toBeUndefined();
    }
  });

  it('refuses anything that is not exactly one HOST:PORT', () => {
    const bad: Array<[string, RegExp]> = [
      ['10.0.0.5', /not HOST:PORT/],
      [':8080', /not HOST:PORT/],
      ['10.0.0.5:0', /port from 1 to 65535/],
      ['10.0.0.5:65536', /port from 1 to 65535/],
      ['10.0.0.5:08080', /port from 1 to 65535/],
      ['10.0.0.5:80-90', /port from 1 to 65535/],
      ['10.0.0.5:80 ', /port from 1 to 65535/],
      ['10.0.0.256:80', /invalid IPv4/],
      ['10.0.0:80', /invalid IPv4/],
      ['0.0.0.0:80', /unspecified/],
      ['[::]:80', /unspecified/],
      ['::1:80', /invalid host name/],
      ['[fe80::1%eth0]:80', /invalid IPv6/],
      ['[not-ip]:80', /invalid IPv6/],
      ['http://10.0.0.5:80', /port from 1 to 65535|invalid host name/],
      ['10.0.0.5:80/admin', /port from 1 to 65535/],
      ['unix//var/run/docker.sock:80', /invalid host name/],
      ['tcp/10.0.0.5:80', /invalid host name/],
      ['{http.request.host}:80', /invalid host name/],
      ['{env.SECRET}:80', /invalid host name/],
      ['evil host:80', /invalid host name/],
      ['a..b:80', /invalid host name/],
      ['-lead.example.com:80', /invalid host name/],
      ['under_score:80', /invalid host name/],
      ['*.example.com:80', /invalid host name/],
      ['line\nbreak:80', /invalid host name/],
      [`${'a'.repeat(64)}.example.com:80`, /invalid host name/],
    ];
    for (const [address, problem] of bad) expect(upstreamProblem(address), JSON.stringify(address)).toMatch(problem);
    expect(() => assertUpstreamAddress('{http.request.host}:80', 'upstream')).toThrow(/upstream '\{http.request.host\}:80' has an invalid host name; use IPv4:PORT, \[IPv6\]:PORT or HOSTNAME:PORT/);
  });
});

describe('route hosts', () => {
  it('accepts host names and one leading wildcard, nothing that could become a path, matcher or placeholder', () => {
    for (const ok of ['shop.example.com', 'prod.shop.acme.localhost', '*.preview.example.com', 'x', 'EXAMPLE.com']) expect(isRouteHost(ok), ok).toBe(true);
    for (const bad of [
      '', 'bad host', 'a.com/x', 'a.com:8080', 'a.com,b.com', '{http.request.host}', '*', '*.*.example.com', 'a.*.com', 'a."b".com',
      'a.com\n', 'a.com\u0000', '../routes/0', '@id', 'ex ample.com', `${'a'.repeat(64)}.com`, `${'a.'.repeat(127)}a`,
    ]) {
      expect(isRouteHost(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('the proxy listen address', () => {
  it('stays on loopback', () => {
    expect(() => assertLoopbackAddress('127.0.0.1:8080', 'proxy listen address')).not.toThrow();
    expect(() => assertLoopbackAddress('[::1]:8080', 'proxy listen address')).not.toThrow();
    expect(() => assertLoopbackAddress('0.0.0.0:80', 'proxy listen address')).toThrow(/not a loopback address/);
    expect(() => assertLoopbackAddress('10.0.0.5:80', 'proxy listen address')).toThrow(/not a loopback address/);
  });
});
