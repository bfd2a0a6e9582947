import { describe, expect, it } from 'vitest';
import { customPrefix, formatHealth, parseCustomAddress, parseCustomEnv, parseEnvPair, parseHealth, parsePort, parseScheme, parseVolumePath } from './custom-services.js';
import { connectionVariableNames, connectionVariables } from './services.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'no error';
};

describe('custom services', () => {
  it('reads the health check, the scheme it implies, the port and the volume path', () => {
    expect(parseHealth(undefined)).toEqual({ type: 'tcp' });
    expect(parseHealth('http:/healthz?full=1')).toEqual({ type: 'http', path: '/healthz?full=1' });
    expect(formatHealth(parseHealth('http:/'))).toBe('http:/');
    for (const bad of ['http', 'http:healthz', 'udp', 'http:/a b']) expect(code(() => parseHealth(bad))).toBe('SLW_VALIDATION');
    expect(parseScheme(undefined, { type: 'http', path: '/' })).toBe('http');
    expect(parseScheme(undefined, { type: 'tcp' })).toBe('tcp');
    expect(parseScheme('nats', { type: 'tcp' })).toBe('nats');
    expect(code(() => parseScheme('HTTP://', { type: 'tcp' }))).toBe('SLW_VALIDATION');
    expect(parsePort(7700)).toBe(7700);
    for (const bad of [undefined, 0, 65536, 1.5]) expect(code(() => parsePort(bad))).toBe('SLW_VALIDATION');
    expect(parseVolumePath(undefined)).toBeNull();
    expect(parseVolumePath('/data/')).toBe('/data');
    for (const bad of ['/', 'data', '/a/../etc', '/a:/b', '/a b']) expect(code(() => parseVolumePath(bad))).toBe('SLW_VALIDATION');
  });

  it('checks the environment given at create like config keys and secret values', () => {
    expect(parseCustomEnv({ MEILI_MASTER_KEY: 's3cret=x', EMPTY: '' })).toEqual({ MEILI_MASTER_KEY: 's3cret=x', EMPTY: '' });
    expect(code(() => parseCustomEnv({ '1BAD': 'x' }))).toBe('SLW_INVALID_KEY');
    expect(code(() => parseCustomEnv({ OK: 'a\u0000b' }))).toBe('SLW_INVALID_VALUE');
    expect(code(() => parseCustomEnv(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`K${i}`, 'v']))))).toBe('SLW_VALIDATION');
    expect(parseEnvPair('A=b=c')).toEqual(['A', 'b=c']);
    expect(code(() => parseEnvPair('=x'))).toBe('SLW_VALIDATION');
    expect(code(() => parseEnvPair('novalue'))).toBe('SLW_VALIDATION');
  });

  it("prefixes its variables with the service's name in capitals; bare HOST and PORT are never injected", () => {
    expect(customPrefix('search')).toBe('SEARCH');
    expect(customPrefix('kv-store')).toBe('KV_STORE');
    expect(customPrefix('9lives')).toBeNull();
    expect(customPrefix('a'.repeat(40))).toBeNull();
    const vars = connectionVariables('custom', 'SEARCH', { endpoint: { host: 'slw-svc-x-1', port: 7700 }, resource: '', username: '', password: '', scheme: 'http' });
    expect(vars).toEqual({ SEARCH_HOST: 'slw-svc-x-1', SEARCH_PORT: '7700', SEARCH_URL: 'http://slw-svc-x-1:7700' });
    expect(connectionVariableNames('custom', 'KV')).toEqual(['KV_HOST', 'KV_PORT', 'KV_URL']);
    expect(code(() => connectionVariableNames('custom', null))).toBe('SLW_INTERNAL');
  });

  it('adopts HOST:PORT only with a port', () => {
    expect(parseCustomAddress('search.internal:7700')).toEqual({ host: 'search.internal', port: 7700 });
    for (const bad of ['search.internal', 'http://x:80', 'x:99999']) expect(code(() => parseCustomAddress(bad))).toBe('SLW_SERVICE_URL_INVALID');
  });
});
