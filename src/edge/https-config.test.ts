/** The pure half of the edge with HTTPS: which names are private, the TLS policies, the config made HTTPS and back. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTE_ID, buildInitialConfig, routesOfConfig, type JsonObject, type RouteSpec } from './caddy-config.js';
import { CertificateWatch } from './certificates.js';
import { HTTP_SERVER_NAME, buildTlsApp, certificateSource, isPrivateName, validateHttps, withHttps, withoutHttps, type HttpsSpec } from './https-config.js';

const route: RouteSpec = { id: 'shop-prod', hosts: ['shop.example.com'], upstreams: ['10.0.0.5:8001'] };
const https: HttpsSpec = { listen: '10.0.0.2:443', acme: { directory: 'https://ca.internal:9443/acme/local/directory', trustedRootFiles: ['/data/acme-root.pem'], email: null } };

const servers = (config: JsonObject) => ((config.apps as JsonObject).http as JsonObject).servers as Record<string, JsonObject>;

describe('edge with HTTPS: config', () => {
  it('gives private names tls internal and every other name ACME', () => {
    for (const name of ['localhost', 'shop.localhost', 'a.b.localhost', 'printer.local', 'app.internal', 'a.b.c.d.internal', 'nas.home.arpa', 'box.lan', '10.0.0.5', '::1', 'intranet']) {
      expect(isPrivateName(name), name).toBe(true);
      expect(certificateSource(name)).toBe('internal');
    }
    for (const name of ['shop.example.com', 'app1.slipway.test', 'internal.example.com', 'localhost.example.com', 'a.b.c.d.e.internal']) {
      expect(isPrivateName(name), name).toBe(false);
      expect(certificateSource(name)).toBe('acme');
    }
  });

  it('puts the internal policy first, then the ACME issuer of the settings as the catch-all', () => {
    const tls = buildTlsApp(https.acme) as { automation: { policies: Array<{ subjects?: string[]; issuers?: JsonObject[] }> } };
    const [internal, acme] = tls.automation.policies;
    expect(internal?.issuers).toEqual([{ module: 'internal' }]);
    expect(internal?.subjects).toEqual(expect.arrayContaining(['*.internal', '*.*.internal', '*.home.arpa', '*.lan']));
    expect(acme).toEqual({ issuers: [{ module: 'acme', ca: https.acme.directory, trusted_roots_pem_files: ['/data/acme-root.pem'] }] });
    // No settings: a catch-all without issuers, so Caddy uses its defaults.
    expect((buildTlsApp({ directory: null, trustedRootFiles: [], email: null }) as typeof tls).automation.policies[1]).toEqual({});
    expect((buildTlsApp({ directory: null, trustedRootFiles: [], email: 'ops@example.com' }) as typeof tls).automation.policies[1]).toEqual({ issuers: [{ module: 'acme', email: 'ops@example.com' }] });
  });

  it('makes an HTTP-only config an edge with HTTPS, keeping the admin section and the routes, and back', () => {
    const plain = buildInitialConfig({ adminSocket: '/data/caddy/admin.sock', proxyListen: '10.0.0.2:80', routes: [route] });
    const secure = withHttps(plain, '10.0.0.2:80', https);
    expect(secure.admin).toEqual(plain.admin);
    expect(routesOfConfig(secure)).toEqual([route]);
    const s = servers(secure);
    expect(s.slipway).toMatchObject({ listen: ['10.0.0.2:443'], tls_connection_policies: [{}] });
    expect(s.slipway).not.toHaveProperty('automatic_https');
    expect(s[HTTP_SERVER_NAME]).toMatchObject({ listen: ['10.0.0.2:80'], routes: [{ handle: [{ handler: 'static_response', status_code: 404 }] }] });
    expect((s.slipway!.routes as JsonObject[]).at(-1)?.['@id']).toBe(DEFAULT_ROUTE_ID);
    expect((secure.apps as JsonObject).http).toMatchObject({ http_port: 80 });
    expect((secure.apps as JsonObject).pki).toEqual({ certificate_authorities: { local: { install_trust: false } } });
    // Applying it again changes nothing (the admin client then makes no call).
    expect(withHttps(secure, '10.0.0.2:80', https)).toEqual(secure);

    const back = withoutHttps(secure, '10.0.0.2:80');
    expect(back).toEqual(plain);
  });

  it('keeps servers that are not its own and starts from an empty config', () => {
    const other = { listen: [':9999'], routes: [] };
    const config = withHttps({ apps: { http: { servers: { other } } } }, '127.0.0.1:8080', { ...https, listen: '127.0.0.1:8443' });
    expect(servers(config).other).toEqual(other);
    expect(Object.keys(servers(withHttps(null, '127.0.0.1:8080', { ...https, listen: '127.0.0.1:8443' }))).sort()).toEqual(['slipway', 'slipway-http']);
  });

  it('refuses the same port for HTTP and HTTPS', () => {
    expect(() => validateHttps('10.0.0.2:8080', { ...https, listen: '10.0.0.2:8080' })).toThrow(/different ports/);
  });
});

describe('certificate watch: Caddy log lines', () => {
  it('remembers the last issuance error per name until a certificate is obtained', async () => {
    const watch = new CertificateWatch('127.0.0.1', 1);
    const line = (msg: string, extra: object = {}) => JSON.stringify({ level: 'error', logger: 'tls.obtain', msg, identifier: 'shop.example.com', ...extra });
    watch.observe(line('could not get certificate from issuer', { error: '[shop.example.com] solving challenges: connection refused' }));
    watch.observe('not json');
    watch.observe(JSON.stringify({ logger: 'http', msg: 'could not get certificate from issuer', identifier: 'other.example.com', error: 'x' }));
    // Port 1 answers nothing: no certificate presented.
    const [failed, pending] = await watch.status(['shop.example.com', 'other.example.com', 'shop.example.com']);
    expect(failed).toEqual({ domain: 'shop.example.com', state: 'failed', source: 'acme', issuer: null, notAfter: null, error: '[shop.example.com] solving challenges: connection refused' });
    expect(pending).toMatchObject({ domain: 'other.example.com', state: 'pending', error: null });
    watch.observe(line('certificate obtained successfully'));
    expect((await watch.status(['shop.example.com']))[0]).toMatchObject({ state: 'pending', error: null });
  });
});
