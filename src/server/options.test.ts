import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { isSlipwayError } from '../core/errors.js';
import { parseServerOptions } from './options.js';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isSlipwayError(error) && error.code === 'SLW_SERVER_CONFIG') return error.message;
    throw error;
  }
  throw new Error('expected SLW_SERVER_CONFIG');
}

describe('server options: HTTP edges and registry limits', () => {
  it('defaults: no public URL, no trusted proxy, no metrics listener, 10 GiB blobs, 15 min idle uploads, 100 sessions', () => {
    const o = parseServerOptions({}, {});
    expect(o.http).toEqual({ publicUrl: undefined, trustedProxies: [], metricsListen: undefined });
    expect(o.registry).toEqual({ maxBlobBytes: 10 * 1024 ** 3, uploadIdleMs: 900_000, maxUploadSessions: 100 });
  });

  it('reads flags over variables', () => {
    const o = parseServerOptions(
      { publicUrl: 'https://registry.example.com/', trustedProxy: ['10.0.0.5', 'fd00::/8'], metricsListen: '127.0.0.1:9100', maxBlobSize: '512MiB' },
      { SLIPWAY_PUBLIC_URL: 'https://other.example', SLIPWAY_TRUSTED_PROXIES: '1.2.3.4', SLIPWAY_MAX_BLOB_SIZE: '1g', SLIPWAY_UPLOAD_IDLE_TIMEOUT: '60', SLIPWAY_MAX_UPLOAD_SESSIONS: '5' },
    );
    expect(o.http).toEqual({ publicUrl: 'https://registry.example.com', trustedProxies: ['10.0.0.5', 'fd00::/8'], metricsListen: { host: '127.0.0.1', port: 9100 } });
    expect(o.registry).toEqual({ maxBlobBytes: 512 * 1024 ** 2, uploadIdleMs: 60_000, maxUploadSessions: 5 });
    expect(parseServerOptions({}, { SLIPWAY_TRUSTED_PROXIES: '10.0.0.0/24, 127.0.0.1', SLIPWAY_MAX_BLOB_SIZE: '1048576' }).http.trustedProxies).toEqual(['10.0.0.0/24', '127.0.0.1']);
    expect(parseServerOptions({ maxBlobSize: '2GB' }, {}).registry.maxBlobBytes).toBe(2 * 1024 ** 3);
  });

  it('refuses bad values with a message naming the setting', () => {
    for (const url of ['ftp://x.example', 'https://x.example/registry', 'https://u:p@x.example', 'not a url', 'https://x.example/?a=1']) expect(refusal(() => parseServerOptions({ publicUrl: url }, {}))).toContain('public URL');
    for (const proxy of ['10.0.0.0/33', 'proxy.example', '10.0.0.1/8/1', '::1/129']) expect(refusal(() => parseServerOptions({ trustedProxy: [proxy] }, {}))).toContain('trusted proxy');
    for (const listen of ['0.0.0.0:9100', '10.0.0.5:9100', '[::]:9100']) expect(refusal(() => parseServerOptions({ metricsListen: listen }, {}))).toContain('loopback');
    for (const size of ['0', 'lots', '-1', '10 PB', '1.5g']) expect(refusal(() => parseServerOptions({ maxBlobSize: size }, {}))).toContain('size');
    expect(refusal(() => parseServerOptions({}, { SLIPWAY_UPLOAD_IDLE_TIMEOUT: '0' }))).toContain('uploadIdleTimeout');
  });
});

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

describe('server options: ACME settings of servers\' edges', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-acme-options-'));
  const roots = join(dir, 'roots.pem');
  writeFileSync(roots, `some comment\n${rootCertificates[0]}\n${rootCertificates[1]}\n`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to none (Caddy\'s default issuers) and reads flags over variables, the CA roots from their file', () => {
    expect(parseServerOptions({}, {}).acme).toEqual({ directory: null, caRootPem: null, email: null });
    const o = parseServerOptions({ acmeDirectory: 'https://10.0.0.1:9443/acme/local/directory', acmeCaRoot: roots }, { SLIPWAY_ACME_DIRECTORY: 'https://other.example/dir', SLIPWAY_ACME_EMAIL: 'ops@example.com' });
    expect(o.acme.directory).toBe('https://10.0.0.1:9443/acme/local/directory');
    expect(o.acme.email).toBe('ops@example.com');
    expect(o.acme.caRootPem?.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(o.acme.caRootPem).not.toContain('some comment');
    expect(new X509Certificate(o.acme.caRootPem ?? '').subject).toBe(new X509Certificate(rootCertificates[0] ?? '').subject);
    expect(parseServerOptions({}, { SLIPWAY_ACME_DIRECTORY: 'https://ca.example/dir', SLIPWAY_ACME_CA_ROOT: roots }).acme.directory).toBe('https://ca.example/dir');
  });

  it('refuses a directory that is not https, a CA root without a directory or without a certificate, a bad email', () => {
    for (const url of ['http://ca.example/dir', 'ca.example/dir', 'https://u:p@ca.example/dir']) expect(refusal(() => parseServerOptions({ acmeDirectory: url }, {}))).toContain('ACME directory');
    expect(refusal(() => parseServerOptions({ acmeCaRoot: roots }, {}))).toContain('--acme-directory');
    const empty = join(dir, 'empty.pem');
    writeFileSync(empty, 'nothing here\n');
    expect(refusal(() => parseServerOptions({ acmeDirectory: 'https://ca.example/dir', acmeCaRoot: empty }, {}))).toContain('no PEM certificate');
    const broken = join(dir, 'broken.pem');
    writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(refusal(() => parseServerOptions({ acmeDirectory: 'https://ca.example/dir', acmeCaRoot: broken }, {}))).toContain('cannot be read');
    expect(refusal(() => parseServerOptions({ acmeDirectory: 'https://ca.example/dir', acmeCaRoot: join(dir, 'missing.pem') }, {}))).toContain('cannot read');
    expect(refusal(() => parseServerOptions({ acmeEmail: 'not an address' }, {}))).toContain('ACME email');
  });
});

describe('server options: backups and logs kept', () => {
  it('keeps every backup by default; --keep-backups over SLIPWAY_KEEP_BACKUPS; a negative or fractional count is refused', () => {
    expect(parseServerOptions({}, {}).keepBackups).toBe(0);
    expect(parseServerOptions({}, { SLIPWAY_KEEP_BACKUPS: '7' }).keepBackups).toBe(7);
    expect(parseServerOptions({ keepBackups: '3' }, { SLIPWAY_KEEP_BACKUPS: '7' }).keepBackups).toBe(3);
    for (const bad of ['-1', '2.5', 'many']) expect(refusal(() => parseServerOptions({ keepBackups: bad }, {}))).toContain('keepBackups');
  });

  it('keeps every log by default; --keep-logs DAYS over SLIPWAY_KEEP_LOGS; a bad count is refused', () => {
    expect(parseServerOptions({}, {}).keepLogs).toBe(0);
    expect(parseServerOptions({ keepLogs: '30' }, { SLIPWAY_KEEP_LOGS: '7' }).keepLogs).toBe(30);
    expect(parseServerOptions({}, { SLIPWAY_KEEP_LOGS: '7' }).keepLogs).toBe(7);
    for (const bad of ['-1', '1.5', '30d']) expect(refusal(() => parseServerOptions({ keepLogs: bad }, {}))).toContain('keepLogs');
  });
});
