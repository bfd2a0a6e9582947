/**
 * Migration 0004 on both engines: versions built or imported before it (found in the audit log)
 * are recorded as immutable when their tag still names the audited digest; a tag moved since, a
 * registry client's tag, and an audit entry without a digest are left alone.
 */
import { Migrator } from 'kysely';
import { describe, expect, it } from 'vitest';
import { engines } from '../../../test/support/engines.js';
import { openOld } from '../../../test/support/old-store.js';
import { migrationProvider } from './index.js';

const at = '2025-01-01T00:00:00.000Z';
const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe.each(engines)('migration 0004 on %s', (engine) => {
  it('records the audited versions whose tags still name the audited digest', async () => {
    const { db, cleanup } = await openOld(engine);
    try {
      const migrator = new Migrator({ db, provider: migrationProvider });
      await db.insertInto('workspaces').values({ id: 'ws_1', name: 'acme', tier: 'high', created_at: at, updated_at: at }).execute();
      await db.insertInto('projects').values({ id: 'prj_1', workspace_id: 'ws_1', name: 'shop', config_version: 0, created_at: at }).execute();
      await db.insertInto('registry_repositories').values({ id: 'repo_1', name: 'acme/shop', workspace_id: 'ws_1', project_id: 'prj_1', keep_versions: 20, protected_tags: '[]', created_at: at }).execute();
      for (const [tag, d] of [['1.0.0', 'a'], ['1.1.0', 'b'], ['2.0.0', 'c'], ['latest', 'a'], ['3.0.0', 'd']] as const) {
        await db.insertInto('registry_tags').values({ repository_id: 'repo_1', tag, digest: digest(d), created_at: at, updated_at: at }).execute();
      }
      const audit = (id: string, action: string, target: string, details: unknown) =>
        db.insertInto('audit_events').values({ id, workspace_id: 'ws_1', at, actor_user_id: null, actor_token_id: null, action, target_type: 'image', target, details: JSON.stringify(details) }).execute();
      await audit('aud_1', 'image.build', 'acme/shop:1.0.0', { digest: digest('a') });
      await audit('aud_2', 'image.import', 'acme/shop:1.1.0', { digest: digest('b'), source: 'ci/app:1' });
      await audit('aud_3', 'image.build', 'acme/shop:2.0.0', { digest: digest('f') }); // moved since: left alone
      await audit('aud_4', 'image.build', 'acme/shop:3.0.0', {}); // no digest
      await audit('aud_5', 'image.build', 'acme/shop:1.0.0', { digest: digest('a') }); // the same build twice

      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const rows = await db.selectFrom('registry_immutable_tags').select(['repository_id', 'tag', 'digest']).orderBy('tag').execute();
      expect(rows).toEqual([
        { repository_id: 'repo_1', tag: '1.0.0', digest: digest('a') },
        { repository_id: 'repo_1', tag: '1.1.0', digest: digest('b') },
      ]);
    } finally {
      await cleanup();
    }
  });
});
