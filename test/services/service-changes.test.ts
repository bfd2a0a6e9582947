/**
 * Services on the workspace change stream, against a real `slipway server` and the machine's
 * real Redis: adopting it, attaching it to an environment, a backup taken, restored and removed,
 * a rotation, a detach (announced when asked, and again when the services sweep has finished it)
 * and the removal each come as one `service` change, in order, with the attachment's project and
 * environment where there is one; a stream of another workspace sees none of them. Deleting an
 * environment, or a whole project, announces each of its attachments `detaching` (then the sweep's
 * `detached`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceChange, WorkspaceChange } from '../../src/api/streams.js';
import { apiClient, ok, type Api } from '../support/api.js';
import { paths } from '../support/fixtures.js';
import { cleanup, startServerProcess, type ServerProcess } from '../support/server-process.js';
import { followStream, type SseEvent } from '../support/sse.js';

const ws = 'svcchanges';
const otherWs = 'svcquiet';
let server: ServerProcess;
let admin: Api;

const changes = (events: SseEvent[]) => events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data ?? '{}') as WorkspaceChange);
const serviceChanges = (events: SseEvent[], name: string) => changes(events).filter((c): c is ServiceChange => c.kind === 'service' && c.name === name);
const kindsOf = (events: SseEvent[], name: string) => serviceChanges(events, name).map((c) => c.change);

beforeAll(async () => {
  server = await startServerProcess({ args: ['--allow-service-host', '127.0.0.1'] });
  admin = apiClient(server.url, server.adminToken);
  for (const w of [ws, otherWs]) {
    ok(await admin.post('/api/v1/workspaces', { name: w, tier: 'high' }));
    ok(await admin.post(`${paths.workspace(w)}/projects`, { name: 'shop' }));
  }
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await cleanup();
}, 60_000);

describe('service changes on the workspace change stream', () => {
  it('announces create, attach, backup, restore, backup removal, rotate, detach (asked and finished) and remove, to this workspace only', async () => {
    const stream = await followStream(server.url, `${paths.workspace(ws)}/events`, server.adminToken);
    const other = await followStream(server.url, `${paths.workspace(otherWs)}/events`, server.adminToken);
    try {
      await stream.until(() => stream.text().startsWith('retry: 1000\n\n'));
      await other.until(() => other.text().startsWith('retry: 1000\n\n'));
      const env = paths.environment(ws, 'shop', 'dev');
      const attachment = `${env}/attachments/cache`;

      ok(await admin.post(`${paths.workspace(ws)}/services`, { name: 'cache', kind: 'redis', adopt: 'redis://127.0.0.1:6379' }));
      await stream.until((e) => kindsOf(e, 'cache').includes('created'));
      expect(serviceChanges(stream.events, 'cache')).toEqual([{ kind: 'service', name: 'cache', change: 'created', at: expect.any(String) }]);

      ok(await admin.post(`${env}/attachments`, { service: 'cache' }));
      await stream.until((e) => kindsOf(e, 'cache').includes('attached'));
      const { at: _at, ...attached } = serviceChanges(stream.events, 'cache').at(-1)!;
      expect(attached).toEqual({ kind: 'service', name: 'cache', change: 'attached', project: 'shop', environment: 'dev' });

      const backup = ok<{ id: string }>(await admin.post(`${attachment}/backups`, {}));
      await stream.until((e) => kindsOf(e, 'cache').includes('backed-up'));
      ok(await admin.post(`${attachment}/backups/${backup.id}/restore`, {}));
      await stream.until((e) => kindsOf(e, 'cache').includes('restored'));
      ok(await admin.delete(`${attachment}/backups/${backup.id}`));
      await stream.until((e) => kindsOf(e, 'cache').includes('backup-removed'));
      ok(await admin.post(`${attachment}/rotate`, {}));
      await stream.until((e) => kindsOf(e, 'cache').includes('rotated'));

      // Detached with its keys dropped: announced when asked, and when the sweep has revoked
      // the credentials and the attachment is gone (the environment runs nothing: at once).
      ok(await admin.post(`${attachment}/detach`, { dropData: true, confirm: 'cache' }));
      await stream.until((e) => kindsOf(e, 'cache').includes('detached'), 20_000);
      const attachments = ok<{ attachments: unknown[] }>(await admin.get(`${env}/attachments`));
      expect(attachments.attachments).toEqual([]);

      ok(await admin.delete(`${paths.workspace(ws)}/services/cache`));
      await stream.until((e) => kindsOf(e, 'cache').includes('removed'));

      expect(kindsOf(stream.events, 'cache')).toEqual(['created', 'attached', 'backed-up', 'restored', 'backup-removed', 'rotated', 'detaching', 'detached', 'removed']);
      for (const c of serviceChanges(stream.events, 'cache')) {
        if (c.change === 'created' || c.change === 'removed') expect(c.project).toBeUndefined();
        else expect([c.project, c.environment]).toEqual(['shop', 'dev']);
        expect(new Date(c.at).toISOString()).toBe(c.at);
      }
      // The other workspace's stream, open all along, heard nothing of it.
      expect(other.ended()).toBe(false);
      expect(changes(other.events)).toEqual([]);
    } finally {
      stream.close();
      other.close();
    }
  }, 90_000);

  it('announces the attachments of a deleted environment, and of a deleted project, as detaching, then detached', async () => {
    const stream = await followStream(server.url, `${paths.workspace(ws)}/events`, server.adminToken);
    try {
      await stream.until(() => stream.text().startsWith('retry: 1000\n\n'));
      ok(await admin.post(`${paths.workspace(ws)}/services`, { name: 'kv', kind: 'redis', adopt: 'redis://127.0.0.1:6379' }));
      ok(await admin.post(`${paths.workspace(ws)}/projects`, { name: 'blog' }));
      for (const [project, env] of [['shop', 'feature'], ['blog', 'feature']] as const) {
        ok(await admin.post(`${paths.workspace(ws)}/projects/${project}/environments`, { name: env }));
        ok(await admin.post(`${paths.environment(ws, project, env)}/attachments`, { service: 'kv' }));
      }
      // A second attachment in the same environment: both announced.
      ok(await admin.post(`${paths.environment(ws, 'shop', 'feature')}/attachments`, { service: 'kv', as: 'SESSIONS' }));
      await stream.until((e) => kindsOf(e, 'kv').filter((k) => k === 'attached').length === 3);

      ok(await admin.delete(paths.environment(ws, 'shop', 'feature')));
      await stream.until((e) => kindsOf(e, 'kv').filter((k) => k === 'detaching').length === 2);
      const detaching = serviceChanges(stream.events, 'kv').filter((c) => c.change === 'detaching');
      expect(detaching.map((c) => [c.project, c.environment])).toEqual([
        ['shop', 'feature'],
        ['shop', 'feature'],
      ]);
      // The sweep finishes them (the environment is gone: no project or environment to name).
      await stream.until((e) => kindsOf(e, 'kv').filter((k) => k === 'detached').length === 2, 20_000);

      ok(await admin.delete(`${paths.workspace(ws)}/projects/blog`));
      await stream.until((e) => kindsOf(e, 'kv').filter((k) => k === 'detaching').length === 3);
      expect(serviceChanges(stream.events, 'kv').filter((c) => c.change === 'detaching').at(-1)).toMatchObject({ project: 'blog', environment: 'feature' });
      await stream.until((e) => kindsOf(e, 'kv').filter((k) => k === 'detached').length === 3, 20_000);
      const shown = ok<{ attachments: unknown[] }>(await admin.get(`${paths.workspace(ws)}/services/kv`));
      expect(shown.attachments).toEqual([]);
      expect(kindsOf(stream.events, 'kv')).toEqual(['created', 'attached', 'attached', 'attached', 'detaching', 'detaching', 'detached', 'detached', 'detaching', 'detached']);
      ok(await admin.delete(`${paths.workspace(ws)}/services/kv`));
    } finally {
      stream.close();
    }
  }, 90_000);
});
