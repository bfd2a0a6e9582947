/**
 * The conformance harness against Slipway's registry (must pass every check, with token auth),
 * and against Debian's docker-registry 2.8 — the harness's own test: it must find that
 * registry's known gaps (no referrers API, tag list ignoring n/last, no tag deletion) while the
 * basic pull and push checks pass, so a harness that cannot fail would be caught.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { startDockerRegistry, type PeerRegistry } from '../../src/registry/client/test-support/docker-registry.js';
import { formatReport, runConformance, type Report } from './harness.js';

let slipway: InProcessServer;
let peer: PeerRegistry;

beforeAll(async () => {
  slipway = await startInProcessServer();
  await slipway.admin.post('/api/v1/workspaces', { name: 'conf', tier: 'high' });
  for (const name of ['repo1', 'repo2']) await slipway.admin.post('/api/v1/workspaces/conf/projects', { name });
  peer = await startDockerRegistry();
});
afterAll(async () => {
  await slipway?.close();
  await peer?.stop();
});

const failing = (report: Report) => report.results.filter((r) => !r.passed).map((r) => r.name);

describe('OCI distribution conformance', () => {
  it("Slipway's registry passes every check of the four categories, through token auth", async () => {
    const report = await runConformance({ url: slipway.url, auth: { username: 'ci', password: slipway.adminToken } }, { namespace: 'conf/repo1', crossmountNamespace: 'conf/repo2' });
    expect(report.results.length).toBeGreaterThanOrEqual(30);
    expect(new Set(report.results.map((r) => r.category))).toEqual(new Set(['pull', 'push', 'discovery', 'management']));
    expect(report.failed, formatReport(report)).toBe(0);
  });

  it('finds the known gaps of docker-registry 2.8 and passes its basic pull and push', async () => {
    const report = await runConformance({ url: `http://${peer.host}` }, { namespace: 'conf/repo1', crossmountNamespace: 'conf/repo2' });
    const failed = failing(report);
    // The gaps the official v1.1.1 suite reports for this registry.
    expect(failed, formatReport(report)).toEqual(
      expect.arrayContaining([
        'tags list with n returns at most n and a Link to the rest',
        'tags list with last returns the tags after it',
        'referrers of an unknown digest: 200 and an empty image index',
        'referrers lists manifests whose subject is the image, with artifactType and annotations',
        'referrers filtered by artifactType, saying so in OCI-Filters-Applied',
        'DELETE of a tag: 202; the tag is gone, the manifest stays by digest',
      ]),
    );
    // What it does implement passes.
    for (const name of [
      'GET /v2/ answers 200',
      'GET of a blob returns its bytes',
      'HEAD and GET of a manifest by digest: type, digest and bytes as pushed',
      'streamed upload: POST, one PATCH without Content-Range, PUT ?digest',
      'monolithic upload: POST, then PUT ?digest with the body',
      'cross-repository mount from a readable repository answers 201',
      'DELETE of a manifest by digest: 202, then 404, and its tag is gone',
    ]) {
      expect(failed, formatReport(report)).not.toContain(name);
    }
  });
});
