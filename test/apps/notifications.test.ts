/**
 * Notifications and the upstream hook end to end: a real server process, the CLI, a real
 * docker-registry as the upstream (skopeo pushes to it), and a receiver on 127.0.0.1 that the
 * server's admin allow-listed (--allow-webhook-host). The poll interval is an hour
 * (SLIPWAY_UPSTREAM_MIN_POLL), so every new version here comes through the hook:
 *
 * - a second docker-registry on the same storage sends its own notifications (its documented
 *   endpoint config, a bearer header) to the hook: the pushed version appears, is announced once,
 *   and the receiver gets it signed;
 * - a call signed with X-Slipway-Signature carrying the registry's envelope polls now; a plain
 *   `{}` does too; a pull-only envelope is ignored;
 * - a bad signature, a wrong bearer secret or none is 401 with a code, counted, nothing polled,
 *   the body never logged;
 * - a notify URL on an internal address the admin did not allow is refused with a code;
 * - a receiver that fails is tried again, and its answer is never stored;
 * - a project application announces a newly built version once, however often it is read, and
 *   a restart announces nothing twice.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaTypes } from '../../src/core/oci.js';
import { haveSkopeo, sha256, skopeoCopy, writeOciLayout } from '../../src/registry/client/test-support/docker-registry.js';
import { apiClient, ok } from '../support/api.js';
import { haveDockerRegistry, startDockerRegistry, type DockerRegistry } from '../support/docker-registry.js';
import { pushBlob, pushImage } from '../support/oci-push.js';
import { cleanup, cli, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';
import { makeTar } from '../support/tar-fixtures.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Notification {
  id: string;
  kind: string;
  message: string;
  details: { version?: string; class?: string; sites?: string[] };
  webhook: { state: string | null; error: string | null; attempts: number };
}

const serverArgs = ['--allow-registry-host', '127.0.0.1', '--allow-webhook-host', '127.0.0.1'];
const serverEnv = { SLIPWAY_UPSTREAM_MIN_POLL: '3600' };

let server: ServerProcess;
let upstream: DockerRegistry;
let notifier: DockerRegistry | undefined;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** Answers the receiver gives before it answers 200 again (each with a body that must never be stored). */
let failNext = 0;
let work: string;
let notifySecret: string;
let hookUrl: string;
let hookSecret: string;

/** An image whose content differs per tag, pushed with skopeo to `host`'s vendor/shop. */
function publish(host: string, tag: string): void {
  const layer = makeTar([{ path: 'VERSION', content: tag }], false);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: mediaTypes.ociConfig, digest: sha256(config), size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }] }));
  const layout = join(work, `l-${tag}-${host.replace(/\W/g, '')}`);
  writeOciLayout(layout, [layer, config], [{ tag, mediaType: mediaTypes.ociManifest, bytes: manifest }]);
  skopeoCopy(`oci:${layout}:${tag}`, `docker://${host}/vendor/shop:${tag}`);
}

const as = () => ({ server: server.url, token: server.adminToken });

async function run(args: string[], input?: string) {
  const r = await cli([...args, '-w', 'acme', '--json'], { ...as(), ...(input !== undefined ? { input } : {}) });
  return r;
}

async function runOk<T = Record<string, unknown>>(args: string[], input?: string): Promise<T> {
  const r = await run(args, input);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.json<T>();
}

async function notifications(app: string): Promise<Notification[]> {
  return (await runOk<{ notifications: Notification[] }>(['app', 'notifications', app])).notifications;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function versionsOf(app: string): Promise<string[]> {
  return (await runOk<{ versions: { version: string }[] }>(['app', 'versions', app])).versions.map((v) => v.version);
}

/** The receiver's deliveries of `version`, each checked: signature, headers, body shape. */
function deliveriesOf(version: string): Received[] {
  return received.filter((r) => (JSON.parse(r.body.toString('utf8')) as { details: { version?: string } }).details.version === version);
}

function checkSigned(r: Received, secret: string): Record<string, unknown> {
  expect(r.headers['x-slipway-signature']).toBe(`sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`);
  expect(r.headers['content-type']).toBe('application/json');
  const body = JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
  expect(r.headers['x-slipway-event']).toBe(body.kind);
  expect(r.headers['x-slipway-delivery']).toBe(body.id);
  expect(Object.keys(body).sort()).toEqual(['application', 'createdAt', 'details', 'id', 'kind', 'message', 'workspace']);
  return body;
}

async function callHook(body: string, headers: Record<string, string>, url = hookUrl): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const envelope = (tag: string, action = 'push') =>
  JSON.stringify({ events: [{ id: `ev-${tag}-${action}`, timestamp: new Date().toISOString(), action, target: { mediaType: mediaTypes.ociManifest, size: 400, digest: 'sha256:' + '0'.repeat(64), length: 400, repository: 'vendor/shop', url: `http://${upstream.host}/v2/vendor/shop/manifests/${tag}`, tag }, request: { id: 'r1', addr: '127.0.0.1', host: upstream.host, method: 'PUT', useragent: 'skopeo' }, actor: {}, source: { addr: 'registry:5000', instanceID: 'x' } }] });
const signed = (body: string, secret = hookSecret) => ({ 'content-type': 'application/vnd.docker.distribution.events.v1+json', 'x-slipway-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` });

describe.skipIf(!haveDockerRegistry || !haveSkopeo)('application notifications and the upstream hook', () => {
  beforeAll(async () => {
    work = tempDir('slipway-notify-');
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        if (failNext > 0) {
          failNext -= 1;
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('RECEIVER-INTERNAL-TEXT');
          return;
        }
        res.writeHead(204);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/slipway/notify`;
    upstream = await startDockerRegistry();
    for (const tag of ['1.0.0', '1.1.0']) publish(upstream.host, tag);
    server = await startServerProcess({ args: serverArgs, env: serverEnv });
    const admin = apiClient(server.url, server.adminToken);
    ok(await admin.post('/api/v1/workspaces', { name: 'acme', tier: 'high' }));
    ok(await admin.post('/api/v1/workspaces/acme/projects', { name: 'web' }));
  }, 120_000);

  afterAll(async () => {
    await notifier?.stop();
    await upstream?.stop();
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
    await cleanup();
  }, 60_000);

  it('announces nothing for the versions an application starts with; sets a notify URL and shows its secret once', async () => {
    const created = await runOk(['app', 'create', 'shop', '--upstream', `${upstream.host}/vendor/shop`]);
    expect(created).toMatchObject({ latest: '1.1.0', versions: 2, pollSeconds: 3600, notifyUrl: null });
    expect(await notifications('shop')).toEqual([]);
    const set = await runOk<{ application: { notifyUrl: string }; notifySecret: string }>(['app', 'set', 'shop', '--notify-url', receiverUrl]);
    expect(set.application.notifyUrl).toBe(receiverUrl);
    expect(set.notifySecret).toMatch(/^[0-9a-f]{64}$/);
    notifySecret = set.notifySecret;
    // Never again: not in show, not when the URL is set again.
    const shown = await runOk(['app', 'show', 'shop']);
    expect(JSON.stringify(shown)).not.toContain(notifySecret);
    expect((await runOk<{ notifySecret: string | null }>(['app', 'set', 'shop', '--notify-url', receiverUrl])).notifySecret).toBeNull();
    const hook = await runOk<{ url: string; secret: string; created: boolean; path: string }>(['app', 'hook', 'shop']);
    expect(hook).toMatchObject({ created: true, url: expect.stringMatching(/\/hooks\/apps\/ahk_[A-Za-z0-9_-]{32}$/) });
    expect(hook.secret).toMatch(/^[0-9a-f]{64}$/);
    hookUrl = hook.url;
    hookSecret = hook.secret;
    const again = await runOk<{ secret: string | null; url: string }>(['app', 'hook', 'shop']);
    expect(again).toMatchObject({ secret: null, url: hookUrl });
  }, 120_000);

  it("takes the registry's own push notification: the version appears without a poll, announced once, delivered signed", async () => {
    // A second registry on the same storage, sending its notifications to the hook as its docs configure them.
    notifier = await startDockerRegistry({ rootDirectory: join(upstream.dir, 'data'), notify: { url: hookUrl, headers: { Authorization: `Bearer ${hookSecret}` } } });
    publish(notifier.host, '1.2.0');
    await eventually('1.2.0 to appear', async () => ((await versionsOf('shop')).includes('1.2.0') ? true : undefined));
    const delivered = await eventually('the 1.2.0 notification to be delivered', async () => deliveriesOf('1.2.0')[0]);
    const body = checkSigned(delivered, notifySecret);
    expect(body).toMatchObject({ kind: 'version', application: 'shop', workspace: 'acme', message: 'shop 1.2.0 (minor) is available; no site runs an older version', details: { version: '1.2.0', class: 'minor', sites: [], siteCount: 0 } });
    const listed = await eventually('the webhook state sent', async () => {
      const n = await notifications('shop');
      return n[0]?.webhook.state === 'sent' ? n : undefined;
    });
    expect(listed.map((n) => n.details.version)).toEqual(['1.2.0']);
    expect(listed[0]).toMatchObject({ id: body.id, kind: 'version', webhook: { state: 'sent', error: null, attempts: 1 } });
    // The registry sends several events per push (layers, config, manifest): one version, one notification.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(deliveriesOf('1.2.0')).toHaveLength(1);
    const hook = await runOk<{ calls: number; failedVerifications: number }>(['app', 'hook', 'shop']);
    expect(hook.calls).toBeGreaterThan(0);
    expect(hook.failedVerifications).toBe(0);
  }, 120_000);

  it("polls at once on a call signed with X-Slipway-Signature carrying the registry's envelope, and on a plain {}", async () => {
    publish(upstream.host, '1.3.0');
    // Each body made once and signed as sent (an envelope carries the time it was made, to the millisecond).
    const pull = envelope('1.3.0', 'pull');
    const pulled = await callHook(pull, signed(pull));
    expect(pulled).toMatchObject({ status: 202, json: { status: 'ignored' } });
    const push = envelope('1.3.0');
    const r = await callHook(push, signed(push));
    expect(r.status).toBe(202);
    expect(['polling', 'coalesced']).toContain(r.json.status);
    await eventually('1.3.0 to appear', async () => ((await versionsOf('shop')).includes('1.3.0') ? true : undefined), 20_000);
    checkSigned(await eventually('the 1.3.0 notification', async () => deliveriesOf('1.3.0')[0]), notifySecret);

    publish(upstream.host, '2.0.0');
    const plain = await callHook('{}', { 'content-type': 'application/json', authorization: `Bearer ${hookSecret}` });
    expect(plain.status).toBe(202);
    await eventually('2.0.0 to appear', async () => ((await versionsOf('shop')).includes('2.0.0') ? true : undefined), 20_000);
    const major = JSON.parse((await eventually('the 2.0.0 notification', async () => deliveriesOf('2.0.0')[0])).body.toString('utf8')) as { message: string };
    expect(major.message).toMatch(/^shop 2\.0\.0 \(major\) is available/);
  }, 120_000);

  it('refuses a bad signature, a wrong bearer secret and none with 401 and a code, counts them, polls nothing', async () => {
    publish(upstream.host, '2.1.0');
    const body = envelope('2.1.0').replace('"vendor/shop"', '"vendor/shop","marker":"HOOK-BODY-MARKER"');
    const cases: Record<string, string>[] = [signed(body, 'not-the-secret'), { 'content-type': 'application/json', authorization: 'Bearer not-the-secret' }, { 'content-type': 'application/json' }];
    for (const headers of cases) {
      const r = await callHook(body, headers);
      expect(r.status).toBe(401);
      expect((r.json.error as { code: string }).code).toBe('SLW_APP_HOOK_SIGNATURE');
    }
    const unknown = await callHook('{}', { authorization: `Bearer ${hookSecret}` }, hookUrl.replace(/ahk_.*/, 'ahk_' + 'A'.repeat(32)));
    expect(unknown.status).toBe(404);
    expect((unknown.json.error as { code: string }).code).toBe('SLW_APP_HOOK_NOT_FOUND');
    const hook = await runOk<{ failedVerifications: number }>(['app', 'hook', 'shop']);
    expect(hook.failedVerifications).toBe(3);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await versionsOf('shop')).not.toContain('2.1.0');
    expect(server.logs()).not.toContain('HOOK-BODY-MARKER');
    expect(server.logs()).toContain('application hook call refused');
  }, 60_000);

  it('refuses a notify URL on an internal address the admin did not allow, and a URL that is not http(s)', async () => {
    for (const url of ['http://10.1.2.3/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:8080/x']) {
      const r = await run(['app', 'set', 'shop', '--notify-url', url]);
      expect(r.code).not.toBe(0);
      const error = r.json<{ error: { code: string; message: string } }>().error;
      expect(error.code, error.message).toBe('SLW_NOTIFY_HOST_REFUSED');
      expect(error.message).toMatch(/--allow-webhook-host/);
    }
    for (const url of ['ftp://example.com/x', 'https://user:pw@example.com/', 'not a url']) {
      const r = await run(['app', 'set', 'shop', '--notify-url', url]);
      expect(r.json<{ error: { code: string } }>().error.code, url).toBe('SLW_NOTIFY_URL_INVALID');
    }
    // Nothing changed.
    expect((await runOk<{ notifyUrl: string }>(['app', 'show', 'shop'])).notifyUrl).toBe(receiverUrl);
  }, 60_000);

  it("tries a failing receiver again and never stores its answer; without a URL, notifications are kept, not sent", async () => {
    // 2.1.0 (refused above) and 2.1.1 come with this poll; the receiver fails whichever it gets first.
    failNext = 1;
    publish(upstream.host, '2.1.1');
    expect((await callHook('{}', { authorization: `Bearer ${hookSecret}` })).status).toBe(202);
    const failed = await eventually('a failed first attempt', async () => (await notifications('shop')).find((n) => n.webhook.error !== null), 30_000);
    expect(failed.webhook).toMatchObject({ state: 'pending', error: 'HTTP 500', attempts: 1 });
    const version = failed.details.version!;
    expect(['2.1.0', '2.1.1']).toContain(version);
    const sent = await eventually('the retry to succeed', async () => (await notifications('shop')).find((n) => n.id === failed.id && n.webhook.state === 'sent'), 30_000);
    expect(sent.webhook).toMatchObject({ attempts: 2, error: null });
    const twice = deliveriesOf(version);
    expect(twice).toHaveLength(2);
    // The same notification both times: receivers de-duplicate on its id.
    expect(new Set(twice.map((d) => d.headers['x-slipway-delivery'])).size).toBe(1);
    expect(JSON.stringify(await notifications('shop'))).not.toContain('RECEIVER-INTERNAL-TEXT');
    expect(server.logs()).not.toContain('RECEIVER-INTERNAL-TEXT');

    expect((await runOk<{ application: { notifyUrl: string | null } }>(['app', 'set', 'shop', '--no-notify-url'])).application.notifyUrl).toBeNull();
    publish(upstream.host, '2.2.0');
    expect((await callHook('{}', { authorization: `Bearer ${hookSecret}` })).status).toBe(202);
    const kept = await eventually('the 2.2.0 notification', async () => (await notifications('shop')).find((n) => n.details.version === '2.2.0'), 30_000);
    expect(kept.webhook).toEqual({ state: null, error: null, attempts: 0 });
    expect(deliveriesOf('2.2.0')).toHaveLength(0);
  }, 120_000);

  it('announces a newly built version of a project application once, however often it is read', async () => {
    const t = { url: server.url, token: server.adminToken };
    const push = async (tag: string) => {
      const layer = makeTar([{ path: 'v', content: tag }], false);
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
      await pushBlob(t, 'acme/web', layer);
      await pushBlob(t, 'acme/web', config);
      await pushImage(t, 'acme/web', tag, config, [layer]);
    };
    await push('3.0.0');
    await runOk(['app', 'create', 'web-app', '--from-project', 'web']);
    await runOk(['app', 'set', 'web-app', '--notify-url', receiverUrl, '--notify-secret-stdin'], 'a-secret-the-user-chose-0123456789\n');
    expect(await notifications('web-app')).toEqual([]);
    await push('3.0.1');
    await Promise.all([versionsOf('web-app'), versionsOf('web-app'), runOk(['app', 'show', 'web-app']), runOk(['app', 'list'])]);
    const listed = await notifications('web-app');
    expect(listed.map((n) => [n.kind, n.details.version, n.details.class])).toEqual([['version', '3.0.1', 'patch']]);
    const delivered = await eventually('the 3.0.1 notification', async () => deliveriesOf('3.0.1')[0]);
    expect(checkSigned(delivered, 'a-secret-the-user-chose-0123456789')).toMatchObject({ application: 'web-app' });
  }, 120_000);

  it('announces nothing twice after a restart', async () => {
    const before = (await notifications('shop')).length;
    await server.stop();
    server = await startServerProcess({ dataDir: server.dataDir, args: serverArgs, env: serverEnv });
    const polled = await runOk<{ imported: unknown[] }>(['app', 'poll', 'shop']);
    expect(polled.imported).toEqual([]);
    await versionsOf('web-app');
    expect(await notifications('shop')).toHaveLength(before);
    expect(await notifications('web-app')).toHaveLength(1);
    // The audit log has each announcement once.
    const audit = ok<{ events: { action: string; target: string }[] }>(await apiClient(server.url, server.adminToken).get('/api/v1/workspaces/acme/audit?action=application.notify.version&limit=500')).events;
    expect(audit.filter((e) => e.action === 'application.notify.version' && e.target === 'shop')).toHaveLength(before);
  }, 120_000);
});
