/**
 * A registry JWT stops working within 5 s of its API token's revocation (issue 10, finding 13),
 * however it is presented, on both store engines against an in-process server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { engines } from '../support/engines.js';
import { basic, createWorkspace, registryCall, requestRegistryToken } from '../support/registry-clients.js';

describe.each(engines)('registry JWT revocation on %s (finding 13)', (engine) => {
  let server: InProcessServer;
  let pgDb: TestDatabase | undefined;

  beforeAll(async () => {
    pgDb = engine === 'postgres' ? await createTestDatabase() : undefined;
    server = await startInProcessServer(pgDb ? { SLIPWAY_DATABASE_URL: pgDb.url } : {});
    await createWorkspace(server.url, server.adminToken, 'acme', ['shop']);
  });
  afterAll(async () => {
    await server?.close();
    await pgDb?.drop();
  });

  it('a registry JWT answers 401 within 5 s of its API token being revoked, however it is presented', async () => {
    const created = (await server.admin.post('/api/v1/workspaces/acme/tokens', { name: 'ci', role: 'developer' })).json as { id: string; token: string };
    const jwt = (await requestRegistryToken(server.url, created.token, ['repository:acme/shop:pull,push'])).token;
    const uses = {
      bearer: () => registryCall(server.url, { path: '/v2/acme/shop/tags/list', auth: `Bearer ${jwt}` }),
      'basic password': () => registryCall(server.url, { path: '/v2/acme/shop/tags/list', auth: basic(jwt) }),
      base: () => registryCall(server.url, { path: '/v2/', auth: `Bearer ${jwt}` }),
      'token exchange': () => registryCall(server.url, { path: '/v2/token?service=slipway&scope=repository:acme/shop:pull', auth: basic(jwt) }),
    };
    for (const [name, use] of Object.entries(uses)) expect({ name, status: (await use()).status }).toEqual({ name, status: 200 });

    expect((await server.admin.call({ method: 'DELETE', path: `/api/v1/workspaces/acme/tokens/${created.id}` })).status).toBe(200);
    const revokedAt = Date.now();
    let status = 200;
    while (status !== 401 && Date.now() - revokedAt < 5000) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await uses.bearer()).status;
    }
    expect(status).toBe(401);
    for (const [name, use] of Object.entries(uses)) expect({ name, status: (await use()).status }).toEqual({ name, status: 401 });
  });
});
