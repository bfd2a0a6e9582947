/**
 * Event streams per API token are capped (finding 14 of issue 10: one viewer opened 1,000 change
 * streams): beyond the cap a stream request answers 429 SLW_TOO_MANY_STREAMS before streaming;
 * other tokens are not affected, and a closed stream frees its slot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedWorkspace, workspaceToken } from '../support/fixtures.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { cleanup } from '../support/server-process.js';
import { followStream, type Followed } from '../support/sse.js';

const events = '/api/v1/workspaces/acme/events';
const logs = '/api/v1/workspaces/acme/projects/web/environments/prod/logs';

async function refusal(s: Followed): Promise<{ status: number; code: string }> {
  return { status: s.status, code: (JSON.parse(s.text()) as { error: { code: string } }).error.code };
}

describe.each([
  { name: 'the default cap (20)', env: {} as Record<string, string>, cap: 20 },
  { name: 'SLIPWAY_MAX_STREAMS_PER_TOKEN=3', env: { SLIPWAY_MAX_STREAMS_PER_TOKEN: '3' }, cap: 3 },
])('event streams per token, $name', ({ env, cap }) => {
  let srv: InProcessServer;
  let viewer: string;
  let other: string;
  const open: Followed[] = [];
  beforeAll(async () => {
    srv = await startInProcessServer(env);
    await seedWorkspace(srv.admin, 'acme', 'web', 'qa');
    viewer = (await workspaceToken(srv.admin, 'acme', 'viewer')).api.token;
    other = (await workspaceToken(srv.admin, 'acme', 'viewer')).api.token;
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await srv?.close();
    await cleanup();
  });

  it(`holds ${cap} streams of one token open and refuses the next with 429 SLW_TOO_MANY_STREAMS`, async () => {
    for (let i = 0; i < cap; i++) {
      const s = await followStream(srv.url, events, viewer);
      open.push(s);
      expect(s.status).toBe(200);
    }
    const refused = await followStream(srv.url, events, viewer);
    expect(await refusal(refused)).toEqual({ status: 429, code: 'SLW_TOO_MANY_STREAMS' });
    const logsRefused = await followStream(srv.url, logs, viewer);
    expect(await refusal(logsRefused)).toEqual({ status: 429, code: 'SLW_TOO_MANY_STREAMS' });
    const otherToken = await followStream(srv.url, events, other);
    open.push(otherToken);
    expect(otherToken.status).toBe(200);
  });

  it('frees the slot of a closed stream', async () => {
    open.shift()?.close();
    // The server sees the close asynchronously: retry until the slot is free (bounded).
    let s: Followed | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      s = await followStream(srv.url, events, viewer);
      if (s.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(s?.status).toBe(200);
    if (s) open.push(s);
  });
});
