/**
 * The golden path on the real Docker engine and a real Caddy: a JAR compiled here is built once;
 * deployed to dev; promoted to staging and to prod (prod waits for an approval); all three run
 * the same digest and answer with their own config; a prod config change rolls a new release
 * without a build; a rollback restores the previous release. A bounded load generator against
 * the prod domain through Caddy records zero failed requests during every prod change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from '../support/server-process.js';
import { deployWorld, loadGenerator, viaProxy, type DeployWorld } from '../support/deploy.js';

let w: DeployWorld;
const domain = (env: string) => `${env}.shop.${w.ws}.localhost`;

beforeAll(async () => {
  w = await deployWorld({ workspace: 'gold' });
}, 300_000);

afterAll(async () => {
  await w?.dispose();
  await cleanup();
});

interface Status {
  environments: Array<{ name: string; release: { number: number; imageDigest: string; version: string | null } | null; health: string }>;
}

async function status(): Promise<Status> {
  const r = await w.run(['status', '-w', w.ws, '-p', 'shop', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.json<Status>();
}

/** Runs a CLI command while the load generator hits prod; asserts it succeeded and nothing failed. */
async function underLoad(args: string[], token?: string): Promise<void> {
  const load = loadGenerator(w.proxyPort, domain('prod'));
  const r = await w.run(args, token);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const result = await load.stop();
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  expect(result.sent).toBeGreaterThan(100);
  expect(result.failures).toEqual([]);
  expect(result.failed).toBe(0);
}

describe('build once, promote everywhere', () => {
  it('deploys to dev, promotes to staging, and to prod after an approval; each answers with its own config', async () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const set = await w.run(['config', 'set', `GREETING=hello from ${env}`, '-w', w.ws, '-p', 'shop', '-e', env, '--json']);
      expect(set.code, set.stderr).toBe(0);
    }
    const dev = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--version', '1.0.0', '--json'], w.developer);
    expect(dev.code, dev.stderr).toBe(0);
    expect((await viaProxy(w.proxyPort, domain('dev'))).body).toBe('hello from dev | built once\n');

    const staging = await w.run(['promote', '-w', w.ws, '-p', 'shop', '--from', 'dev', '--to', 'staging', '--json'], w.developer);
    expect(staging.code, staging.stderr).toBe(0);
    expect((await viaProxy(w.proxyPort, domain('staging'))).body).toBe('hello from staging | built once\n');

    const asked = await w.run(['promote', '-w', w.ws, '-p', 'shop', '--from', 'staging', '--to', 'prod', '--json'], w.developer);
    expect(asked.code, asked.stderr).toBe(0);
    const { promotion } = asked.json<{ promotion: { id: string; status: string } }>();
    expect(promotion.status).toBe('pending-approval');
    expect((await viaProxy(w.proxyPort, domain('prod'))).status).toBe(404);
    const self = await w.run(['approve', promotion.id, '-w', w.ws, '--json'], w.developer);
    expect(self.code).toBe(1);
    expect(self.json<{ error: { code: string } }>().error.code).toBe('SLW_FORBIDDEN');
    const approved = await w.run(['approve', promotion.id, '-w', w.ws, '--json'], w.approver);
    expect(approved.code, approved.stderr).toBe(0);
    expect((await viaProxy(w.proxyPort, domain('prod'))).body).toBe('hello from prod | built once\n');

    const s = await status();
    const digests = new Set(s.environments.map((e) => e.release?.imageDigest));
    expect(digests.size).toBe(1);
    expect(s.environments.map((e) => [e.name, e.health])).toEqual([['dev', 'healthy'], ['staging', 'healthy'], ['prod', 'healthy']]);
  }, 300_000);

  it('a prod config change rolls a new release without a build, with zero failed requests', async () => {
    const before = (await status()).environments.find((e) => e.name === 'prod')!.release!;
    const load = loadGenerator(w.proxyPort, domain('prod'));
    const set = await w.run(['config', 'set', 'GREETING=hello again from prod', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json']);
    expect(set.code, set.stderr).toBe(0);
    const { deployment } = set.json<{ deployment: { id: string; releaseNumber: number } }>();
    expect(deployment.releaseNumber).toBe(before.number + 1);
    const logs = await w.run(['logs', deployment.id, '-w', w.ws, '--follow', '--json']);
    expect(logs.json<{ end: { status: string } }>().end.status).toBe('succeeded');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(result.sent).toBeGreaterThan(100);
    expect((await viaProxy(w.proxyPort, domain('prod'))).body).toBe('hello again from prod | built once\n');
    const after = (await status()).environments.find((e) => e.name === 'prod')!.release!;
    expect(after.imageDigest).toBe(before.imageDigest);
  }, 300_000);

  it('a rollback restores the previous release, with zero failed requests', async () => {
    await underLoad(['rollback', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--skip-approval', '--json']);
    expect((await viaProxy(w.proxyPort, domain('prod'))).body).toBe('hello from prod | built once\n');
    const releases = await w.run(['releases', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json']);
    const list = releases.json<{ releases: Array<{ number: number; status: string; trigger: string }> }>().releases;
    expect(list.map((r) => [r.number, r.status, r.trigger])).toEqual([
      [3, 'succeeded', 'rollback'],
      [2, 'superseded', 'config-change'],
      [1, 'superseded', 'promotion'],
    ]);
    const containers = (await w.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=prod'])).split('\n').filter(Boolean);
    expect(containers).toHaveLength(1);
  }, 300_000);
});
