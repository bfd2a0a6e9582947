/**
 * Slipway's registry against the conformance harness (the four categories of the OCI
 * distribution spec v1.1 conformance suite): every check passes, through Docker token auth with
 * a Slipway API token as the password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { formatReport, runConformance } from './harness/index.js';

let slipway: InProcessServer;

beforeAll(async () => {
  slipway = await startInProcessServer();
  await slipway.admin.post('/api/v1/workspaces', { name: 'conf', tier: 'high' });
  for (const name of ['repo1', 'repo2']) await slipway.admin.post('/api/v1/workspaces/conf/projects', { name });
});
afterAll(async () => slipway?.close());

describe("Slipway's registry", () => {
  it('passes every conformance check of pull, push, content discovery and content management', async () => {
    const report = await runConformance({ url: slipway.url, namespace: 'conf/repo1', crossmountNamespace: 'conf/repo2', auth: { username: 'ci', password: slipway.adminToken } });
    const categories = new Set(report.results.map((r) => r.category));
    expect([...categories].sort()).toEqual(['discovery', 'management', 'pull', 'push']);
    expect(report.results.length).toBeGreaterThanOrEqual(40);
    expect(report.results.filter((r) => !r.passed || r.skipped), formatReport(report)).toEqual([]);
  });
});
