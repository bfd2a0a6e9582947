/**
 * Retention and GC against a real server: keep-3 over versions 1..6 with version 2 held by a
 * release; shared blobs survive; an upload in progress and a fresh blob whose manifest is not
 * pushed yet survive the collection; the dry run reports exactly what the real run does.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelease, setReleaseStatus } from '../releases/releases.js';
import { resolveEnvironment, resolveProject } from '../projects/projects.js';
import { authenticate } from '../tenancy/tokens.js';
import { resolveWorkspace } from '../tenancy/workspaces.js';
import { BlobStore } from './blob-store.js';
import { startInProcessServer, type InProcessServer } from '../../test/support/in-process.js';
import { withSqliteStore } from '../../test/support/fixtures.js';
import { basic, pushBlob, pushImage, randomBlob, sha256, status, type RegistryTarget } from '../../test/support/oci-push.js';
import { join } from 'node:path';

let server: InProcessServer;
let t: RegistryTarget;
const repo = 'acme/shop';

beforeAll(async () => {
  server = await startInProcessServer();
  t = { url: server.url, token: server.adminToken };
  await server.admin.call({ method: 'POST', path: '/api/v1/workspaces', body: { name: 'acme', tier: 'high' } });
  await server.admin.call({ method: 'POST', path: '/api/v1/workspaces/acme/projects', body: { name: 'shop' } });
});
afterAll(async () => server?.close());

describe('retention and garbage collection', () => {
  it('keeps the newest 3, the released version and shared blobs; spares fresh uploads', async () => {
    const shared = randomBlob(4096);
    await pushBlob(t, repo, shared);
    const images: { digest: string; layer: Uint8Array }[] = [];
    for (let v = 1; v <= 6; v += 1) {
      const config = new TextEncoder().encode(JSON.stringify({ architecture: 'amd64', os: 'linux', v }));
      const layer = randomBlob(2048);
      await pushBlob(t, repo, config);
      await pushBlob(t, repo, layer);
      images.push({ digest: await pushImage(t, repo, String(v), config, [shared, layer]), layer });
      await new Promise((r) => setTimeout(r, 5));
    }
    const v2 = images[1]!.digest;

    // A release of version 2 that succeeded (a rollback point), recorded through the releases context.
    await withSqliteStore(server.dbFile, async (db) => {
      const principal = await authenticate(db, `Bearer ${server.adminToken}`);
      const access = await resolveEnvironment(db, await resolveProject(db, await resolveWorkspace(db, principal, 'acme'), 'shop'), 'prod');
      const release = await createRelease(db, access, { imageDigest: v2, version: '2', configVersion: 0, secretVersions: {}, trigger: 'deploy', actor: { userId: principal.userId, tokenId: principal.tokenId } });
      await setReleaseStatus(db, access, release.number, 'running');
      await setReleaseStatus(db, access, release.number, 'succeeded');
      // Everything pushed so far is made two hours old, past the default grace period.
      const old = new Date(Date.now() - 2 * 3600_000).toISOString();
      await db.updateTable('registry_blobs').set({ created_at: old }).execute();
      await db.updateTable('registry_repo_blobs').set({ linked_at: old }).execute();
    });

    // Racing the collection: a finished blob whose manifest is not pushed yet, and an open upload.
    const fresh = randomBlob(1024);
    await pushBlob(t, repo, fresh);
    const partial = randomBlob(8192);
    const start = await fetch(`${t.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { authorization: basic(t.token) } });
    const location = start.headers.get('location')!;
    expect((await fetch(`${t.url}${location}`, { method: 'PATCH', headers: { authorization: basic(t.token), 'content-type': 'application/octet-stream' }, body: partial.slice(0, 4096) })).status).toBe(202);

    expect((await server.admin.call({ method: 'PATCH', path: '/api/v1/workspaces/acme/projects/shop/registry-policy', body: { keepVersions: 3 } })).status).toBe(200);
    const dry = await server.admin.call({ method: 'POST', path: '/api/v1/registry/gc', body: { dryRun: true } });
    expect(dry.status).toBe(200);
    const real = await server.admin.call({ method: 'POST', path: '/api/v1/registry/gc', body: {} });
    expect(real.status).toBe(200);
    const dryReport = dry.json as { images: { digest: string; tags: string[] }[]; kept: { digest: string; reason: string }[]; blobs: { count: number; bytes: number } };
    const realReport = real.json as typeof dryReport;
    expect(dryReport.images.map((i) => i.tags)).toEqual([['3'], ['1']]);
    expect(dryReport.kept).toEqual([{ repository: repo, digest: v2, reason: 'release' }]);
    expect({ ...realReport, dryRun: true }).toEqual(dryReport);
    // v1 and v3 each had a config and a unique layer; the manifests' own bytes go too.
    expect(realReport.blobs.count).toBe(6);

    const tags = (await (await fetch(`${t.url}/v2/${repo}/tags/list`, { headers: { authorization: basic(t.token) } })).json()) as { tags: string[] };
    expect(tags.tags).toEqual(['2', '4', '5', '6']);
    expect(await status(t, 'HEAD', `/v2/${repo}/manifests/${images[0]!.digest}`)).toBe(404);
    expect(await status(t, 'HEAD', `/v2/${repo}/manifests/${v2}`)).toBe(200);
    const blobs = new BlobStore(join(server.dataDir, 'registry'));
    expect(existsSync(blobs.blobPath(sha256(images[0]!.layer)))).toBe(false);
    expect(existsSync(blobs.blobPath(sha256(images[2]!.layer)))).toBe(false);
    expect(await status(t, 'HEAD', `/v2/${repo}/blobs/${sha256(images[1]!.layer)}`)).toBe(200);
    expect(await status(t, 'HEAD', `/v2/${repo}/blobs/${sha256(shared)}`)).toBe(200);
    expect(existsSync(blobs.blobPath(sha256(shared)))).toBe(true);

    // The racing pushes finish as if no collection had happened.
    expect(await status(t, 'HEAD', `/v2/${repo}/blobs/${sha256(fresh)}`)).toBe(200);
    const config7 = new TextEncoder().encode('{"v":7}');
    await pushBlob(t, repo, config7);
    await pushImage(t, repo, '7', config7, [shared, fresh]);
    const done = await fetch(`${t.url}${location}?digest=${sha256(partial)}`, { method: 'PUT', headers: { authorization: basic(t.token), 'content-type': 'application/octet-stream' }, body: partial.slice(4096) });
    expect(done.status).toBe(201);
    expect(await status(t, 'HEAD', `/v2/${repo}/blobs/${sha256(partial)}`)).toBe(200);
  });
});
