import { describe, expect, it } from 'vitest';
import { defaultDomain } from './deploy.js';
import { assertCustomDomainAllowed, domainReservation } from './domains.js';

const acmeProd = { workspace: 'acme', project: 'shop', environment: 'prod' };

describe('domain reservation', () => {
  it('reserves the *.localhost space: the label before localhost names the workspace, four labels one environment', () => {
    expect(domainReservation('shop.example.com')).toBeNull();
    expect(domainReservation('localhost.example.com')).toBeNull();
    expect(domainReservation('acme.localhost')).toEqual({ kind: 'workspace', workspace: 'acme' });
    expect(domainReservation('www.acme.localhost')).toEqual({ kind: 'workspace', workspace: 'acme' });
    expect(domainReservation('prod.shop.acme.localhost')).toEqual({ kind: 'environment', workspace: 'acme', project: 'shop', environment: 'prod' });
    expect(domainReservation('www.prod.shop.acme.localhost')).toEqual({ kind: 'workspace', workspace: 'acme' });
    expect(domainReservation(defaultDomain('a', 'b', 'c'))).toEqual({ kind: 'environment', workspace: 'a', project: 'b', environment: 'c' });
  });

  it("refuses another workspace's default-domain space, whether that workspace exists or not", () => {
    for (const domain of ['prod.shop.other.localhost', 'other.localhost', 'www.other.localhost', 'a.b.c.d.other.localhost', 'staging.shop.not-yet.localhost']) {
      expect(() => assertCustomDomainAllowed(domain, acmeProd)).toThrow(expect.objectContaining({ code: 'SLW_DOMAIN_RESERVED' }));
    }
  });

  it("refuses another environment's default domain in the own workspace, and allows the rest of the own space", () => {
    for (const domain of ['dev.shop.acme.localhost', 'prod.web.acme.localhost', 'qa.shop.acme.localhost']) {
      expect(() => assertCustomDomainAllowed(domain, acmeProd)).toThrow(/default domain of environment/);
    }
    for (const domain of ['prod.shop.acme.localhost', 'acme.localhost', 'shop.acme.localhost', 'www.prod.shop.acme.localhost', 'shop.example.com']) {
      expect(assertCustomDomainAllowed(domain, acmeProd)).toBe(domain);
    }
  });
});
