/**
 * Tenancy hardening (issue 10, findings 3, 5 and 12):
 *
 * - `domains`: every custom domain of an environment, unique across the instance (the primary
 *   key), filled from the stored settings. A stored custom domain that another workspace's
 *   default-domain space reserves, or that an earlier environment already holds, is dropped from
 *   its environment's settings (the environment answers on its default domain again) and the
 *   drop is written to the workspace's audit log (`environment.domain.drop`).
 * - `config_layers.kind` and `.changes`: versions are stored compactly (a delta, or now and then
 *   a full copy) with the keys each version changed; existing rows, all full copies, are
 *   rewritten into that form layer by layer, a page of rows at a time.
 * - `members.name`: a member's display name is the workspace's own (what the adder gave, or the
 *   e-mail's local part), no longer the user row's name another workspace may have set; filled
 *   from the user's current name so nothing shown changes today.
 *
 * The rules are copied here as they stand, so this migration does the same thing forever.
 * Never edit a released migration; add a new one.
 */
import { sql, type Kysely } from 'kysely';
import { newId } from '../../platform/ids.js';

interface Tables {
  config_layers: { id: string; project_id: string; environment_id: string | null; version: number; kind: string; data: string; changes: string };
  environment_settings: { environment_id: string; data: string; updated_at: string };
  environments: { id: string; project_id: string; name: string };
  projects: { id: string; workspace_id: string; name: string };
  workspaces: { id: string; name: string };
  domains: { domain: string; environment_id: string; workspace_id: string; created_at: string };
  audit_events: { id: string; workspace_id: string | null; at: string; actor_user_id: string | null; actor_token_id: string | null; action: string; target_type: string; target: string; details: string };
}

export async function up(raw: Kysely<unknown>): Promise<void> {
  const db = raw as unknown as Kysely<Tables>;
  await db.schema
    .createTable('domains')
    .addColumn('domain', 'text', (c) => c.primaryKey())
    .addColumn('environment_id', 'text', (c) => c.notNull().unique().references('environments.id').onDelete('cascade'))
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await fillDomains(db);

  await db.schema.alterTable('config_layers').addColumn('kind', 'text', (c) => c.notNull().defaultTo('full')).execute();
  await db.schema.alterTable('config_layers').addColumn('changes', 'text', (c) => c.notNull().defaultTo('{"added":[],"changed":[],"removed":[]}')).execute();
  await compactConfigLayers(db);

  await db.schema.alterTable('members').addColumn('name', 'text').execute();
  await sql`UPDATE members SET name = (SELECT u.name FROM users u WHERE u.id = members.user_id)`.execute(db);
}

/** The workspace a `.localhost` name is reserved to, and for 4 labels the environment. */
function allowed(domain: string, ws: string, project: string, env: string): boolean {
  const labels = domain.split('.');
  if (labels.length < 2 || labels[labels.length - 1] !== 'localhost') return true;
  if (labels[labels.length - 2] !== ws) return false;
  return labels.length !== 4 || (labels[0] === env && labels[1] === project);
}

async function fillDomains(db: Kysely<Tables>): Promise<void> {
  const rows = await db
    .selectFrom('environment_settings as s')
    .innerJoin('environments as e', 'e.id', 's.environment_id')
    .innerJoin('projects as p', 'p.id', 'e.project_id')
    .innerJoin('workspaces as w', 'w.id', 'p.workspace_id')
    .select(['s.environment_id', 's.data', 's.updated_at', 'e.name as env', 'p.name as project', 'w.name as ws', 'w.id as workspace_id'])
    .orderBy('s.updated_at')
    .orderBy('s.environment_id')
    .execute();
  const taken = new Set<string>();
  const now = new Date().toISOString();
  for (const r of rows) {
    const data = JSON.parse(r.data) as { domain?: unknown };
    if (typeof data.domain !== 'string') continue;
    const domain = data.domain;
    const reason = !allowed(domain, r.ws, r.project, r.env) ? 'reserved to another workspace or environment' : taken.has(domain) ? 'already held by another environment' : null;
    if (!reason) {
      taken.add(domain);
      await db.insertInto('domains').values({ domain, environment_id: r.environment_id, workspace_id: r.workspace_id, created_at: now }).execute();
      continue;
    }
    delete data.domain;
    await db.updateTable('environment_settings').set({ data: JSON.stringify(data), updated_at: now }).where('environment_id', '=', r.environment_id).execute();
    await db
      .insertInto('audit_events')
      .values({ id: newId('aud'), workspace_id: r.workspace_id, at: now, actor_user_id: null, actor_token_id: null, action: 'environment.domain.drop', target_type: 'environment', target: `${r.project}/${r.env}`, details: JSON.stringify({ domain, reason }) })
      .execute();
  }
}

type Layer = Record<string, string>;
const maxDeltas = 100;
const minChainBytes = 16 * 1024;
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const sortedKeys = (keys: string[]) => keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

async function compactConfigLayers(db: Kysely<Tables>): Promise<void> {
  const layers = await db.selectFrom('config_layers').select(['project_id', 'environment_id']).distinct().execute();
  for (const layer of layers) {
    let before: Layer = {};
    // The chain the next row extends (fullBytes -1: the layer has no version yet).
    const chain = { fullBytes: -1, deltas: 0, deltaBytes: 0 };
    let after = 0;
    for (;;) {
      let q = db.selectFrom('config_layers').select(['id', 'version', 'data']).where('project_id', '=', layer.project_id).where('version', '>', after);
      q = layer.environment_id === null ? q.where('environment_id', 'is', null) : q.where('environment_id', '=', layer.environment_id);
      const page = await q.orderBy('version').limit(50).execute();
      if (page.length === 0) break;
      for (const row of page) {
        after = row.version;
        const full = JSON.parse(row.data) as Layer;
        const has = (l: Layer, k: string) => Object.prototype.hasOwnProperty.call(l, k);
        const diff = {
          added: sortedKeys(Object.keys(full).filter((k) => !has(before, k))),
          changed: sortedKeys(Object.keys(full).filter((k) => has(before, k) && before[k] !== full[k])),
          removed: sortedKeys(Object.keys(before).filter((k) => !has(full, k))),
        };
        const delta = JSON.stringify(Object.fromEntries([...diff.added, ...diff.changed].sort().map((k) => [k, full[k] ?? ''])));
        const deltaBytes = bytes(delta) + bytes(JSON.stringify(diff.removed));
        const asFull = chain.fullBytes < 0 || chain.deltas + 1 > maxDeltas || chain.deltaBytes + deltaBytes > Math.max(chain.fullBytes, minChainBytes);
        if (asFull) Object.assign(chain, { fullBytes: bytes(row.data), deltas: 0, deltaBytes: 0 });
        else Object.assign(chain, { deltas: chain.deltas + 1, deltaBytes: chain.deltaBytes + deltaBytes });
        await db
          .updateTable('config_layers')
          .set({ kind: asFull ? 'full' : 'delta', data: asFull ? row.data : delta, changes: JSON.stringify(diff) })
          .where('id', '=', row.id)
          .execute();
        before = full;
      }
    }
  }
}
