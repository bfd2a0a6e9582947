/**
 * Notifications on both store engines, with the deliverer POSTing to real HTTP receivers on
 * 127.0.0.1 (allow-listed as the admin would): once-only keys under concurrency, version notices
 * naming the sites on older versions, signed deliveries, one delivery per notification with two
 * deliverers (two control planes) sweeping at once, a lapsed claim taken again, and the attempts
 * that fail for good at once (a redirect, a host the rule refuses) or are tried again (a 500, no
 * answer in time), never storing what the receiver said.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notify } from '../../src/apps/notifications.js';
import { NotificationDeliverer } from '../../src/apps/notify-delivery.js';
import { notifyEgressUse, notifySecretIdentity } from '../../src/apps/notify-settings.js';
import { notifyNewVersions } from '../../src/apps/version-notices.js';
import { EgressPolicy } from '../../src/registry/client/index.js';
import { masterKeyring } from '../../src/secrets/keyring.js';
import type { ApplicationsTable, Db } from '../../src/store/schema.js';
import { engines, openTestStore } from '../support/engines.js';

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const keyring = masterKeyring(randomBytes(32));
const secret = 'f'.repeat(64);
const quiet = { info: () => undefined, warn: () => undefined };

async function receiver(handle: (path: string) => { status: number; headers?: Record<string, string>; hang?: boolean }): Promise<{ server: Server; url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const a = handle(req.url ?? '');
      if (a.hang) return;
      res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
      res.end('RECEIVER-TEXT-NEVER-STORED');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

describe.each(engines)('notifications on %s', (engine) => {
  let db: Db;
  let close: () => Promise<void>;
  let rx: Awaited<ReturnType<typeof receiver>>;
  const egress = new EgressPolicy(['127.0.0.1'], notifyEgressUse);
  const deliverer = (options = {}) => new NotificationDeliverer({ db, keyring, egress, logger: quiet, version: 'test' }, { sweepMs: 60_000, ...options });

  async function makeApp(name: string, path: string | null): Promise<ApplicationsTable> {
    const base = { id: `app_${name}_${randomBytes(4).toString('hex')}`, workspace_id: 'ws_1', project_id: `prj_${name}` };
    const row: ApplicationsTable = {
      ...base,
      name,
      source: 'upstream',
      upstream: 'registry.example/vendor/shop',
      poll_seconds: 300,
      last_polled_at: null,
      last_error: null,
      created_at: new Date().toISOString(),
      created_by: null,
      notify_url: path === null ? null : `${rx.url}${path}`,
      notify_secret_envelope: path === null ? null : keyring.seal(notifySecretIdentity(base), secret),
      continuous_options: null,
    };
    await db.insertInto('applications').values(row).execute();
    return row;
  }

  async function rowOf(id: string) {
    return db.selectFrom('application_notifications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    const opened = await openTestStore(engine);
    db = opened.store.db;
    close = opened.cleanup;
    await db.insertInto('workspaces').values({ id: 'ws_1', name: 'acme', tier: 'high', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' }).execute();
    rx = await receiver((path) => {
      if (path === '/redirect') return { status: 302, headers: { location: `${rx.url}/elsewhere` } };
      if (path === '/broken') return { status: 500 };
      if (path === '/slow') return { status: 200, hang: true };
      return { status: 204 };
    });
  }, 60_000);

  afterAll(async () => {
    rx?.server.closeAllConnections();
    await new Promise<void>((r) => (rx ? rx.server.close(() => r()) : r()));
    egress.close();
    await close?.();
  });

  it('records a keyed notification once, whoever tries at the same time, with one audit event', async () => {
    const app = await makeApp('once', null);
    const tries = await Promise.all(Array.from({ length: 6 }, () => notify({ db }, app, { kind: 'version', message: 'm', details: {}, dedupeKey: 'version:1.0.0' })));
    expect(tries.filter((t) => t.created)).toHaveLength(1);
    const rows = await db.selectFrom('application_notifications').selectAll().where('application_id', '=', app.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ webhook_state: null, webhook_next_at: null, webhook_attempts: 0 });
    const audit = await db.selectFrom('audit_events').select('details').where('action', '=', 'application.notify.version').where('target', '=', 'once').execute();
    expect(audit).toHaveLength(1);
    // Unkeyed ones are all kept.
    await notify({ db }, app, { kind: 'upgrade', message: 'halted', details: {} });
    await notify({ db }, app, { kind: 'upgrade', message: 'halted', details: {} });
    expect(await db.selectFrom('application_notifications').select('id').where('application_id', '=', app.id).execute()).toHaveLength(3);
  });

  it('names the sites on older versions of a channel that takes the new version', async () => {
    const app = await makeApp('herd', null);
    for (const tag of ['1.0.0', '1.1.0', '1.2.0-beta.1', '1.2.0']) await db.insertInto('application_versions').values({ application_id: app.id, tag, digest: `sha256:${tag}`, discovered_at: '2026-01-01T00:00:00Z' }).execute();
    await db.insertInto('projects').values({ id: app.project_id, workspace_id: 'ws_1', name: 'herd', config_version: 0, created_at: '2026-01-01T00:00:00Z' }).execute();
    const site = async (name: string, channel: string, version: string | null) => {
      const env = `env_${name}_${randomBytes(3).toString('hex')}`;
      await db.insertInto('environments').values({ id: env, project_id: app.project_id, name, kind: 'site', created_at: '2026-01-01T00:00:00Z' }).execute();
      await db.insertInto('sites').values({ environment_id: env, application_id: app.id, workspace_id: 'ws_1', name, labels: '{}', channel, policy: 'manual', maintenance_window: null, created_at: '2026-01-01T00:00:00Z', created_by: null }).execute();
      if (version === null) return;
      // An older failed release after the succeeded one: the succeeded one is what runs.
      for (const [n, status, tag] of [[1, 'succeeded', version], [2, 'failed', '9.9.9']] as const) {
        await db.insertInto('releases').values({ id: `rel_${env}_${n}`, workspace_id: 'ws_1', project_id: app.project_id, environment_id: env, number: n, image_digest: 'sha256:x', version_tag: tag, config_version: 1, secret_versions: '{}', service_credentials: '{}', volumes: '[]', status, trigger: 'deploy', actor_user_id: null, actor_token_id: null, created_at: '2026-01-01T00:00:00Z', started_at: null, finished_at: null, message: null }).execute();
      }
    };
    await site('b-old', 'stable', '1.0.0');
    await site('a-old', 'stable', '1.1.0');
    await site('beta', 'beta', '1.2.0-beta.1');
    await site('current', 'stable', '1.2.0');
    await site('empty', 'stable', null);
    expect(await notifyNewVersions({ db }, app, ['1.2.0'])).toBe(1);
    expect(await notifyNewVersions({ db }, app, ['1.2.0'])).toBe(0);
    const row = await db.selectFrom('application_notifications').selectAll().where('application_id', '=', app.id).executeTakeFirstOrThrow();
    expect(row.message).toBe('herd 1.2.0 (minor) is available; 3 site(s) run older versions: a-old, b-old, beta');
    expect(JSON.parse(row.details)).toEqual({ version: '1.2.0', class: 'minor', sites: ['a-old', 'b-old', 'beta'], siteCount: 3, more: 0 });
    expect(row.dedupe_key).toBe('version:1.2.0');
  });

  it('delivers a signed notification once even with two deliverers sweeping at the same time', async () => {
    const app = await makeApp('signed', '/in');
    const ids: string[] = [];
    for (let i = 0; i < 6; i += 1) ids.push((await notify({ db }, app, { kind: 'approval', message: `site-${i} awaits approval`, details: { site: `site-${i}` } })).id);
    expect((await rowOf(ids[0]!)).webhook_state).toBe('pending');
    const before = rx.hits.length;
    const one = deliverer();
    const two = deliverer();
    one.poke();
    two.poke();
    await until(async () => ((await Promise.all(ids.map(rowOf))).every((r) => r.webhook_state === 'sent') ? true : undefined));
    await Promise.all([one.stop(), two.stop()]);
    const hits = rx.hits.slice(before);
    expect(hits).toHaveLength(6);
    for (const h of hits) {
      expect(h.path).toBe('/in');
      expect(h.headers['x-slipway-signature']).toBe(`sha256=${createHmac('sha256', secret).update(h.body).digest('hex')}`);
      expect(h.headers['x-slipway-event']).toBe('approval');
      expect(h.headers['user-agent']).toBe('Slipway/test');
      const body = JSON.parse(h.body.toString('utf8')) as Record<string, unknown>;
      expect(body).toMatchObject({ kind: 'approval', application: 'signed', workspace: 'acme' });
      expect(ids).toContain(body.id);
    }
    expect(new Set(hits.map((h) => h.headers['x-slipway-delivery'])).size).toBe(6);
    for (const id of ids) expect(await rowOf(id)).toMatchObject({ webhook_attempts: 1, webhook_error: null, webhook_next_at: null });
  });

  it('fails at once on a redirect (not followed) and on a host the rule refuses; retries a 500 and a receiver that does not answer', async () => {
    const redirect = await notify({ db }, await makeApp('redirect', '/redirect'), { kind: 'upgrade', message: 'm', details: {} });
    const broken = await notify({ db }, await makeApp('broken', '/broken'), { kind: 'upgrade', message: 'm', details: {} });
    const slow = await notify({ db }, await makeApp('slow', '/slow'), { kind: 'upgrade', message: 'm', details: {} });
    // A URL that passed the check when set, and whose host is internal now (or was written around the check).
    const internal = await makeApp('internal', '/x');
    await db.updateTable('applications').set({ notify_url: 'http://10.20.30.40/hook' }).where('id', '=', internal.id).execute();
    const refused = await notify({ db }, { ...internal, notify_url: 'http://10.20.30.40/hook' }, { kind: 'upgrade', message: 'm', details: {} });
    const d = deliverer({ timeoutMs: 500 });
    const started = Date.now();
    d.poke();
    const settled = async (id: string) => until(async () => {
      const r = await rowOf(id);
      return r.webhook_attempts === 1 && r.webhook_error !== null ? r : undefined;
    });
    expect(await settled(redirect.id)).toMatchObject({ webhook_state: 'failed', webhook_next_at: null, webhook_error: expect.stringMatching(/^HTTP 302: .*redirects are not followed/) });
    expect(rx.hits.some((h) => h.path === '/elsewhere')).toBe(false);
    expect(await settled(refused.id)).toMatchObject({ webhook_state: 'failed', webhook_error: expect.stringMatching(/^SLW_NOTIFY_HOST_REFUSED: .*10\.20\.30\.40.*--allow-webhook-host/) });
    const b = await settled(broken.id);
    expect(b).toMatchObject({ webhook_state: 'pending', webhook_error: 'HTTP 500' });
    // The next attempt 5 s after this one.
    expect(Date.parse(b.webhook_next_at!) - started).toBeGreaterThan(4_000);
    expect(Date.parse(b.webhook_next_at!) - Date.now()).toBeLessThanOrEqual(5_000);
    expect(await settled(slow.id)).toMatchObject({ webhook_state: 'pending', webhook_error: 'no answer within 0.5 s' });
    await d.stop();
    const all = await db.selectFrom('application_notifications').select('webhook_error').execute();
    expect(JSON.stringify(all)).not.toContain('RECEIVER-TEXT');
  });

  it('takes an attempt whose claim lapsed (a control plane that died mid-attempt), and gives up after the fourth', async () => {
    const app = await makeApp('lapsed', '/in');
    const taken = await notify({ db }, app, { kind: 'upgrade', message: 'm', details: {} });
    await db.updateTable('application_notifications').set({ webhook_attempts: 2, webhook_next_at: new Date(Date.now() - 1_000).toISOString(), webhook_error: 'HTTP 503' }).where('id', '=', taken.id).execute();
    const broken = await makeApp('last-try', '/broken');
    const last = await notify({ db }, broken, { kind: 'upgrade', message: 'm', details: {} });
    await db.updateTable('application_notifications').set({ webhook_attempts: 3 }).where('id', '=', last.id).execute();
    const d = deliverer();
    d.poke();
    expect(await until(async () => ((await rowOf(taken.id)).webhook_state === 'sent' ? rowOf(taken.id) : undefined))).toMatchObject({ webhook_attempts: 3, webhook_error: null });
    expect(await until(async () => ((await rowOf(last.id)).webhook_state === 'failed' ? rowOf(last.id) : undefined))).toMatchObject({ webhook_attempts: 4, webhook_error: 'HTTP 500', webhook_next_at: null });
    await d.stop();
  });
});
