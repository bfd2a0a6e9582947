import { describe, expect, it } from 'vitest';
import { parseServerOptions } from './options.js';

describe('server options: fetch safety', () => {
  it('allows no internal registry host by default, and the builder limits default to 2 GiB and 100×', () => {
    const o = parseServerOptions({}, {});
    expect(o.allowRegistryHosts).toEqual([]);
    expect(o.maxUnpackedBytes).toBe(2 * 1024 ** 3);
    expect(o.maxUnpackRatio).toBe(100);
  });

  it('takes --allow-registry-host repeated, or SLIPWAY_ALLOW_REGISTRY_HOSTS comma-separated (flags win)', () => {
    const env = { SLIPWAY_ALLOW_REGISTRY_HOSTS: 'registry.internal, 10.0.0.0/8,,fd00::/8' };
    expect(parseServerOptions({}, env).allowRegistryHosts).toEqual(['registry.internal', '10.0.0.0/8', 'fd00::/8']);
    expect(parseServerOptions({ allowRegistryHost: ['127.0.0.1', 'Localhost'] }, env).allowRegistryHosts).toEqual(['127.0.0.1', 'localhost']);
    expect(parseServerOptions({}, { SLIPWAY_MAX_UNPACKED_BYTES: '1048576', SLIPWAY_MAX_UNPACK_RATIO: '20' })).toMatchObject({ maxUnpackedBytes: 1048576, maxUnpackRatio: 20 });
  });

  it('refuses a bad value with SLW_SERVER_CONFIG naming it', () => {
    for (const bad of ['127.0.0.1:5000', 'http://registry.internal', '10.0.0.0/99']) {
      expect(() => parseServerOptions({ allowRegistryHost: [bad] }, {})).toThrow(expect.objectContaining({ code: 'SLW_SERVER_CONFIG', message: expect.stringContaining(JSON.stringify(bad)) }));
    }
    expect(() => parseServerOptions({}, { SLIPWAY_MAX_UNPACK_RATIO: '0' })).toThrow(expect.objectContaining({ code: 'SLW_SERVER_CONFIG' }));
  });
});
