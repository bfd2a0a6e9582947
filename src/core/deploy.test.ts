import { describe, expect, it } from 'vitest';
import { approvalRefusal, assertDomain, cpuMillis, effectiveSettings, workloadName, parseCpus, parseCpusLimit, parseMemory, parseMemoryLimit, releaseLabels } from './deploy.js';

describe('deploy rules', () => {
  it('defaults: a .localhost domain, port 8080, one rolling replica; prod requires approval', () => {
    const prod = effectiveSettings({ workspace: 'acme', project: 'shop', environment: 'prod' }, {});
    expect(prod).toMatchObject({ domain: 'prod.shop.acme.localhost', port: 8080, replicas: 1, strategy: 'rolling', healthPath: '/', requireApproval: true });
    expect(effectiveSettings({ workspace: 'acme', project: 'shop', environment: 'dev' }, {}).requireApproval).toBe(false);
    expect(effectiveSettings({ workspace: 'acme', project: 'shop', environment: 'prod' }, { requireApproval: false, port: 3000 })).toMatchObject({ requireApproval: false, port: 3000 });
  });

  it('checks domains', () => {
    expect(assertDomain('Shop.Example.com')).toBe('shop.example.com');
    for (const bad of ['localhost', 'a..b', '-a.b', 'a_b.c', 'x'.repeat(64) + '.com', 'a b.c']) expect(() => assertDomain(bad)).toThrow(expect.objectContaining({ code: 'SLW_INVALID_DOMAIN' }));
  });

  it('parses memory and cpus', () => {
    expect(parseMemory('512m')).toBe(512 * 1024 ** 2);
    expect(parseMemory('1g')).toBe(1024 ** 3);
    expect(parseMemory('256Mi')).toBe(256 * 1024 ** 2);
    expect(() => parseMemory('1k')).toThrow(expect.objectContaining({ code: 'SLW_VALIDATION' }));
    expect(() => parseMemory('lots')).toThrow(expect.objectContaining({ code: 'SLW_VALIDATION' }));
    expect(parseCpus('0.5')).toBe(500_000_000);
    expect(() => parseCpus('0')).toThrow(expect.objectContaining({ code: 'SLW_VALIDATION' }));
    // env set's limits: a value, or unlimited (null: no limit), the word env show prints
    expect(parseMemoryLimit('512m')).toBe(512 * 1024 ** 2);
    expect(parseMemoryLimit(' Unlimited ')).toBeNull();
    expect(parseCpusLimit('unlimited')).toBeNull();
    expect(parseCpusLimit('2')).toBe(2_000_000_000);
    expect(() => parseMemoryLimit('none')).toThrow(expect.objectContaining({ code: 'SLW_VALIDATION', message: "memory 'none' is not a size like 512m or 1g; or give unlimited to remove the limit" }));
    expect(() => parseCpusLimit('')).toThrow(expect.objectContaining({ code: 'SLW_VALIDATION', message: expect.stringContaining('or give unlimited') }));
  });

  it('names and labels containers deterministically', () => {
    const ids = { workspace: 'acme', project: 'shop', environment: 'prod', release: 7 };
    expect(workloadName(ids)).toBe('slw-acme-shop-prod-r7');
    expect(cpuMillis(500_000_000)).toBe(500);
    expect(cpuMillis(null)).toBeNull();
    expect(releaseLabels({ ...ids, environmentId: 'env_1' })).toMatchObject({ 'io.slipway.release': '7', 'io.slipway.environment-id': 'env_1', 'io.slipway.managed': 'true' });
  });

  it('approval: admins and owners, not the requester unless alone', () => {
    expect(approvalRefusal({ userId: 'u1', role: 'developer' }, 'u2', 1)).toMatch(/admin or owner/);
    expect(approvalRefusal({ userId: 'u1', role: 'admin' }, 'u1', 1)).toMatch(/another admin/);
    expect(approvalRefusal({ userId: 'u1', role: 'owner' }, 'u1', 0)).toBeNull();
    expect(approvalRefusal({ userId: 'u1', role: 'admin' }, 'u2', 1)).toBeNull();
  });
});
