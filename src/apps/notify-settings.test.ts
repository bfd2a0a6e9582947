import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import { EgressPolicy } from '../registry/client/index.js';
import { notifyEgressUse } from './notify-settings.js';

const unresolved = (host: string) => new SlipwayError('SLW_NOTIFY_URL_INVALID', `${host} does not resolve`);
const codeOf = (p: Promise<unknown>) => p.then(() => 'none', (e: { code: string; message: string }) => `${e.code}: ${e.message}`);

describe('the notify egress policy', () => {
  it('refuses internal hosts with its own code and flag, by address and by name', async () => {
    const strict = new EgressPolicy([], notifyEgressUse);
    for (const url of ['http://127.0.0.1:9/x', 'http://10.0.0.1/', 'http://[::1]/', 'http://169.254.169.254/latest', 'http://[::ffff:192.168.1.1]/', 'http://localhost:8080/in']) {
      expect(await codeOf(strict.checkUrl(new URL(url), unresolved)), url).toMatch(/^SLW_NOTIFY_HOST_REFUSED: notify host .* (is|resolves to) a .* address.*--allow-webhook-host/);
    }
    strict.close();
  });

  it('lets the hosts and ranges the admin allowed through, and nothing else internal', async () => {
    const allowed = new EgressPolicy(['127.0.0.1', '10.0.0.0/8', 'localhost'], notifyEgressUse);
    for (const url of ['http://127.0.0.1:9/x', 'http://10.200.0.1/', 'http://localhost:8080/in']) expect(await codeOf(allowed.checkUrl(new URL(url), unresolved)), url).toBe('none');
    expect(await codeOf(allowed.checkUrl(new URL('http://192.168.0.1/'), unresolved))).toMatch(/^SLW_NOTIFY_HOST_REFUSED/);
    allowed.close();
  });

  it('names its own flag when an allow-list entry is bad', () => {
    expect(() => new EgressPolicy(['http://x/'], notifyEgressUse)).toThrow(/--allow-webhook-host/);
  });
});
