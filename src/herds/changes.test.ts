/**
 * An upgrade's announcement on the workspace change stream, read from the store (both engines):
 * its application and state as stored, `finished` once it has ended; a finished upgrade is
 * announced once however often it is signalled, and again when it ends again after a resume.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCron } from '../core/cron.js';
import { engines } from '../../test/support/engines.js';
import { project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import type { WorkspaceChange } from '../api/streams.js';
import { workspaceChanges } from '../deploy/events.js';
import type { ApplicationsTable } from '../store/schema.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { announceUpgrade } from './changes.js';
import { seedApplication, seedSites } from './test-support/seed.js';
import { startHerdUpgrade } from './upgrades.js';

const checkWindow = (cron: string) => void parseCron(cron);

describe.each(engines)('announcing herd upgrades (%s)', (engine) => {
  let ctx: TestContext;
  let access: WorkspaceAccess;
  let app: ApplicationsTable;

  beforeAll(async () => {
    ctx = await setupContext(engine);
    access = await workspace(ctx, 'acme');
    const p = await project(ctx, access, 'shop');
    app = await seedApplication(ctx.db, access.workspace.id, p.project.id, 'shop', ['1.0.0', '2.0.0']);
    await seedSites(ctx.db, app, { count: 2, version: '1.0.0', digest: 'sha256:' + '0'.repeat(64), name: (i) => `s${i}` });
  });
  afterAll(() => ctx.cleanup());

  it('sends the state as stored, a finished upgrade once, and again when it ends anew', async () => {
    const sent: WorkspaceChange[] = [];
    const listen = (c: WorkspaceChange) => void sent.push(c);
    workspaceChanges.on(access.workspace.id, listen);
    try {
      const u = await startHerdUpgrade(ctx.db, access, app, { to: '2.0.0' }, 'manual', checkWindow);
      const ended = new Map<string, string>();
      await announceUpgrade(ctx.db, u.id, ended);
      await announceUpgrade(ctx.db, u.id, ended);
      expect(sent.map(({ at: _at, ...c }) => c)).toEqual([
        { kind: 'upgrade', id: u.id, application: 'shop', status: 'running', finished: false },
        { kind: 'upgrade', id: u.id, application: 'shop', status: 'running', finished: false },
      ]);
      const end = async (state: string, at: string) => ctx.db.updateTable('herd_upgrades').set({ state, finished_at: at, active_key: null }).where('id', '=', u.id).execute();
      await end('halted', '2030-01-01T00:00:00.000Z');
      for (let i = 0; i < 3; i += 1) await announceUpgrade(ctx.db, u.id, ended);
      expect(sent.slice(2).map((c) => [c.kind === 'upgrade' && c.status, c.kind === 'upgrade' && c.finished])).toEqual([['halted', true]]);
      // Resumed, then ended again.
      await ctx.db.updateTable('herd_upgrades').set({ state: 'running', finished_at: null }).where('id', '=', u.id).execute();
      await announceUpgrade(ctx.db, u.id, ended);
      await end('succeeded', '2030-01-01T00:05:00.000Z');
      await announceUpgrade(ctx.db, u.id, ended);
      await announceUpgrade(ctx.db, u.id, ended);
      expect(sent.slice(3).map((c) => [c.kind === 'upgrade' && c.status, c.kind === 'upgrade' && c.finished])).toEqual([
        ['running', false],
        ['succeeded', true],
      ]);
      // Gone: nothing to say.
      await announceUpgrade(ctx.db, 'hup_gone', ended);
      expect(sent).toHaveLength(5);
    } finally {
      workspaceChanges.off(access.workspace.id, listen);
    }
  });
});
