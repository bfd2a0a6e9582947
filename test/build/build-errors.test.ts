/**
 * Bad artifacts get a clear error with a stable code; nothing half-built becomes visible (no
 * tag, no new blob, no scratch files left), and the server stays up.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { withSqliteStore } from '../support/fixtures.js';
import { basic, pushBlob, pushImage, sha256 } from '../support/oci-push.js';
import { makeTar } from '../support/tar-fixtures.js';
import { errorCode } from '../support/api.js';

let server: InProcessServer;
let base: string;
const maxArtifactBytes = 64 * 1024;

beforeAll(async () => {
  server = await startInProcessServer({ SLIPWAY_MAX_ARTIFACT_BYTES: String(maxArtifactBytes) });
  await server.admin.post('/api/v1/workspaces', { name: 'acme', tier: 'high' });
  await server.admin.post('/api/v1/workspaces/acme/projects', { name: 'shop' });
  await server.admin.post('/api/v1/workspaces/acme/projects', { name: 'base' });
  // A tiny base image in Slipway's own registry: one layer with a web root.
  const t = { url: server.url, token: server.adminToken };
  const layer = makeTar([{ path: 'usr/', type: 'dir' }, { path: 'usr/share/', type: 'dir' }], false);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['httpd'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  await pushBlob(t, 'acme/base', layer);
  await pushBlob(t, 'acme/base', config);
  await pushImage(t, 'acme/base', 'static', config, [layer]);
  base = `${new URL(server.url).host}/acme/base:static`;
});
afterAll(async () => server?.close());

async function build(body: Buffer, query: Record<string, string>): Promise<{ status: number; code: string | undefined; message: string }> {
  const q = new URLSearchParams({ version: '1.0.0', base, ...query });
  const res = await fetch(`${server.url}/api/v1/workspaces/acme/projects/shop/builds?${q.toString()}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' },
    body,
  });
  const json = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, code: json.error?.code, message: json.error?.message ?? '' };
}

async function registryState() {
  return withSqliteStore(server.dbFile, async (db) => ({
    blobs: (await db.selectFrom('registry_blobs').select('digest').execute()).length,
    tags: (await db.selectFrom('registry_tags as t').innerJoin('registry_repositories as r', 'r.id', 't.repository_id').select('t.tag').where('r.name', '=', 'acme/shop').execute()).length,
  }));
}

/** The first half of an archive (asserting it really was cut). */
function truncated(archive: Buffer): Buffer {
  expect(archive.length).toBeGreaterThan(10_000);
  return archive.subarray(0, Math.floor(archive.length / 2));
}

const site = (extra: Parameters<typeof makeTar>[0]) => makeTar([{ path: 'index.html', content: '<h1>hi</h1>' }, ...extra]);

describe('build refuses bad artifacts', () => {
  const cases: Array<[string, () => Buffer, Record<string, string>, number, string]> = [
    ['a ../ path', () => site([{ path: '../evil.sh', content: 'x' }]), {}, 400, 'SLW_ARTIFACT_UNSAFE_PATH'],
    ['an absolute path', () => site([{ path: '/etc/cron.d/evil', content: 'x' }]), {}, 400, 'SLW_ARTIFACT_UNSAFE_PATH'],
    ['a symlink out of the root', () => site([{ path: 'etc', type: 'symlink', linkTarget: '../../../etc' }]), {}, 400, 'SLW_ARTIFACT_UNSAFE_PATH'],
    ['a hardlink out of the root', () => site([{ path: 'passwd', type: 'hardlink', linkTarget: '../etc/passwd' }]), {}, 400, 'SLW_ARTIFACT_UNSAFE_PATH'],
    ['an artifact over the size limit', () => Buffer.alloc(maxArtifactBytes + 1, 1), {}, 413, 'SLW_ARTIFACT_TOO_LARGE'],
    ['an unknown runtime', () => site([]), { runtime: 'cobol' }, 400, 'SLW_RUNTIME_UNKNOWN'],
    ['an archive with no recognisable app', () => makeTar([{ path: 'README', content: 'x' }]), {}, 400, 'SLW_RUNTIME_UNKNOWN'],
    ['bytes that are no archive', () => Buffer.from('this is not a jar, a tar or a zip'), { runtime: 'static' }, 400, 'SLW_ARTIFACT_INVALID'],
    ['a truncated tar.gz', () => truncated(site([{ path: 'big.bin', content: randomBytes(20_000) }])), {}, 400, 'SLW_ARTIFACT_INVALID'],
    ['a JAR runtime for a tarball', () => site([]), { runtime: 'java' }, 400, 'SLW_ARTIFACT_INVALID'],
    ['a bad version tag', () => site([]), { version: '../1' }, 400, 'SLW_VALIDATION'],
  ];

  for (const [name, body, query, status, code] of cases) {
    it(`${name} → ${status} ${code}, nothing stored`, async () => {
      const before = await registryState();
      const res = await build(body(), query);
      expect({ status: res.status, code: res.code }).toEqual({ status, code });
      expect(res.message.length).toBeGreaterThan(20);
      expect(await registryState()).toEqual(before);
      expect(readdirSync(join(server.dataDir, 'builds'))).toEqual([]);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    });
  }

  it('a good site builds; the same version with other content is refused and changes nothing', async () => {
    const first = await build(site([{ path: 'style.css', content: 'h1{}' }]), {});
    expect(first.status).toBe(201);
    const before = await registryState();
    const again = await build(site([{ path: 'style.css', content: 'h1{color:red}' }]), {});
    expect({ status: again.status, code: again.code }).toEqual({ status: 409, code: 'SLW_VERSION_EXISTS' });
    expect(await registryState()).toEqual(before);
    const tags = (await (await fetch(`${server.url}/v2/acme/shop/tags/list`, { headers: { authorization: basic(server.adminToken) } })).json()) as { tags: string[] };
    expect(tags.tags.filter((t) => !t.startsWith('src-'))).toEqual(['1.0.0']);
  });
});

describe('runtime values that are no runtime', () => {
  // Without --base the runtime picks the default base: a value such as `constructor` must never
  // be looked up as given (it answered 500).
  async function buildWithoutBase(runtime: string) {
    const q = new URLSearchParams({ version: '3.0.0', runtime });
    const res = await fetch(`${server.url}/api/v1/workspaces/acme/projects/shop/builds?${q.toString()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' },
      body: site([]),
    });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  }

  it.each(['bogus', 'constructor', '__proto__', 'toString', 'hasOwnProperty'])('runtime=%s → 400 SLW_RUNTIME_UNKNOWN, nothing stored', async (runtime) => {
    const before = await registryState();
    const res = await buildWithoutBase(runtime);
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'SLW_RUNTIME_UNKNOWN' });
    expect(res.body.error?.message).toContain('is not one of java, static, node');
    expect(await registryState()).toEqual(before);
    const lookup = await server.admin.post('/api/v1/workspaces/acme/projects/shop/builds/lookup', { version: '3.0.0', artifactDigest: `sha256:${'a'.repeat(64)}`, artifactBytes: 10, runtime });
    expect({ status: lookup.status, code: errorCode(lookup) }).toEqual({ status: 400, code: 'SLW_RUNTIME_UNKNOWN' });
  });

  it("an image's own runtime label is checked too: a pushed 'constructor' label is a taken version, not a 500", async () => {
    const t = { url: server.url, token: server.adminToken };
    const artifactDigest = `sha256:${'e'.repeat(64)}`;
    const layer = makeTar([{ path: 'x', content: 'x' }], false);
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { 'io.slipway.runtime': 'constructor', 'io.slipway.artifact.digest': artifactDigest } }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }),
    );
    await pushBlob(t, 'acme/shop', layer);
    await pushBlob(t, 'acme/shop', config);
    await pushImage(t, 'acme/shop', '9.9.9', config, [layer]);
    const res = await server.admin.post('/api/v1/workspaces/acme/projects/shop/builds/lookup', { version: '9.9.9', artifactDigest, artifactBytes: 10 });
    expect({ status: res.status, code: errorCode(res) }).toEqual({ status: 409, code: 'SLW_VERSION_EXISTS' });
  });
});
