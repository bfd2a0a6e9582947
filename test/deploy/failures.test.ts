/**
 * What goes wrong, on the real Docker engine and Caddy: an app that never becomes ready fails
 * its release cleanly while prod keeps serving (zero failed requests); bad input gets a clear
 * error and disturbs nothing; a deploy's log resumes with Last-Event-ID without losing or
 * repeating an event; secret values reach the container's environment and nowhere else.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from '../support/server-process.js';
import { deployWorld, loadGenerator, viaProxy, type DeployWorld } from '../support/deploy.js';

let w: DeployWorld;
const prod = () => `prod.shop.${w.ws}.localhost`;
const serving = 'hello from prod | built once\n';

beforeAll(async () => {
  w = await deployWorld({ workspace: 'fail' });
  expect((await w.run(['config', 'set', 'GREETING=hello from prod', '-w', w.ws, '-p', 'shop', '-e', 'prod'])).code).toBe(0);
  const first = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--version', '1.0.0', '--skip-approval', '--json']);
  expect(first.code, first.stderr).toBe(0);
  expect((await viaProxy(w.proxyPort, prod())).body).toBe(serving);
}, 300_000);

afterAll(async () => {
  await w?.dispose();
  await cleanup();
});

const errorCode = (r: { json<T>(): T }) => r.json<{ error: { code: string } }>().error.code;
const prodContainers = async () => (await w.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=prod'])).split('\n').filter(Boolean);

describe('deploy failures and bad input', () => {
  it('an app that never gets ready fails its release; prod keeps serving with zero failed requests', async () => {
    // The app listens on $PORT, which the engine sets to the environment's port, unless config
    // pins it: pinned to 8080 while the environment says 9999, the app never answers there.
    expect((await w.run(['config', 'set', 'PORT=8080', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--no-restart'])).code).toBe(0);
    expect((await w.run(['env', 'set', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--port', '9999', '--health-timeout', '6'])).code).toBe(0);
    const load = loadGenerator(w.proxyPort, prod());
    const r = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--version', '1.0.0', '--skip-approval', '--json']);
    const result = await load.stop();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/did not become ready: not ready within 6s/);
    expect(result.failures).toEqual([]);
    expect(result.sent).toBeGreaterThan(100);
    expect([...result.bodies.keys()]).toEqual([serving]);
    expect(await prodContainers()).toHaveLength(1);
    const releases = (await w.run(['releases', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json'])).json<{ releases: Array<{ number: number; status: string; message: string | null }> }>().releases;
    expect(releases.map((x) => [x.number, x.status])).toEqual([[2, 'failed'], [1, 'succeeded']]);
    expect(releases[0]!.message).toMatch(/not ready/);
    expect((await w.run(['env', 'set', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--port', '8080'])).code).toBe(0);
    expect((await w.run(['config', 'unset', 'PORT', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--no-restart'])).code).toBe(0);
  }, 120_000);

  it('bad input gets a clear error and leaves prod as it was', async () => {
    const cases: Array<[string[], string, string?]> = [
      [['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--version', '9.9.9', '--json'], 'SLW_IMAGE_NOT_FOUND'],
      [['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--digest', `sha256:${'0'.repeat(64)}`, '--json'], 'SLW_IMAGE_NOT_FOUND'],
      [['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--digest', 'latest', '--json'], 'SLW_VALIDATION'],
      [['promote', '-w', w.ws, '-p', 'shop', '--from', 'staging', '--to', 'prod', '--json'], 'SLW_NOTHING_DEPLOYED'],
      [['env', 'set', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--domain', 'not_a_domain', '--json'], 'SLW_INVALID_DOMAIN'],
      [['env', 'set', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--replicas', '0', '--json'], 'SLW_VALIDATION'],
      [['rollback', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--json'], 'SLW_NOTHING_DEPLOYED'],
    ];
    for (const [args, code] of cases) {
      const r = await w.run(args);
      expect({ args: args.join(' '), code: r.code, error: errorCode(r) }).toEqual({ args: args.join(' '), code: 1, error: code });
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    // Approving one's own promotion while another admin exists.
    expect((await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--version', '1.0.0'])).code).toBe(0);
    const asked = await w.run(['promote', '-w', w.ws, '-p', 'shop', '--from', 'dev', '--to', 'prod', '--json'], w.approver);
    const { promotion } = asked.json<{ promotion: { id: string; status: string } }>();
    expect(promotion.status).toBe('pending-approval');
    const own = await w.run(['approve', promotion.id, '-w', w.ws, '--json'], w.approver);
    expect({ code: own.code, error: errorCode(own) }).toEqual({ code: 1, error: 'SLW_APPROVAL_REFUSED' });
    const rejected = await w.run(['reject', promotion.id, '-w', w.ws, '--reason', 'not today', '--json']);
    expect(rejected.json<{ promotion: { status: string } }>().promotion.status).toBe('rejected');
    const again = await w.run(['approve', promotion.id, '-w', w.ws, '--json']);
    expect(errorCode(again)).toBe('SLW_PROMOTION_STATE');

    expect((await viaProxy(w.proxyPort, prod())).body).toBe(serving);
    expect(await prodContainers()).toHaveLength(1);
  }, 120_000);

  it('a deploy log resumes with Last-Event-ID: nothing lost, nothing repeated', async () => {
    const started = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--version', '1.0.0', '--detach', '--json']);
    const id = started.json<{ deployment: { id: string } }>().deployment.id;
    const url = `${w.server.url}/api/v1/workspaces/${w.ws}/deployments/${id}/events`;
    const headers = { authorization: `Bearer ${w.server.adminToken}` };
    const ids: number[] = [];
    // First connection: read two events, then drop the connection.
    const abort = new AbortController();
    const first = await fetch(url, { headers, signal: abort.signal });
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = first.body!.getReader();
    let text = '';
    while ((text.match(/^id: /gm) ?? []).length < 2) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    for (const m of text.matchAll(/^id: (\d+)$/gm)) ids.push(Number(m[1]));
    // Second connection resumes after the last id seen and reads to the end.
    const rest = await (await fetch(url, { headers: { ...headers, 'last-event-id': String(ids.at(-1)) } })).text();
    for (const m of rest.matchAll(/^id: (\d+)$/gm)) ids.push(Number(m[1]));
    expect(rest).toMatch(/event: end\ndata: \{"status":"succeeded"/);
    expect(ids.length).toBeGreaterThan(4);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
  }, 120_000);

  it('runs several replicas behind one domain, and recreates them when the strategy says so', async () => {
    const staging = () => `staging.shop.${w.ws}.localhost`;
    const containers = async () => (await w.docker(['ps', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=staging', '--format', '{{.Label "io.slipway.release"}}'])).split('\n').filter(Boolean).sort();
    expect((await w.run(['env', 'set', '-w', w.ws, '-p', 'shop', '-e', 'staging', '--replicas', '2', '--max-surge', '2'])).code).toBe(0);
    const first = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'staging', '--version', '1.0.0']);
    expect(first.code, first.stderr).toBe(0);
    expect(await containers()).toEqual(['1', '1']);
    const status = (await w.run(['status', '-w', w.ws, '-p', 'shop', '--json'])).json<{ environments: Array<{ name: string; replicas: { running: number; desired: number }; health: string }> }>();
    expect(status.environments.find((e) => e.name === 'staging')).toMatchObject({ replicas: { running: 2, desired: 2 }, health: 'healthy' });
    expect((await viaProxy(w.proxyPort, staging())).status).toBe(200);

    expect((await w.run(['env', 'set', '-w', w.ws, '-p', 'shop', '-e', 'staging', '--strategy', 'recreate'])).code).toBe(0);
    const set = await w.run(['config', 'set', 'GREETING=recreated', '-w', w.ws, '-p', 'shop', '-e', 'staging', '--json']);
    const { deployment } = set.json<{ deployment: { id: string } }>();
    const logs = await w.run(['logs', deployment.id, '-w', w.ws, '--follow', '--json']);
    const { events, end } = logs.json<{ events: Array<{ step: string; message: string }>; end: { status: string } }>();
    expect(end.status).toBe('succeeded');
    expect(events.map((e) => e.step)).toContain('stop-old');
    expect(events.findIndex((e) => e.step === 'stop-old')).toBeLessThan(events.findIndex((e) => e.step === 'start'));
    expect(await containers()).toEqual(['2', '2']);
    expect((await viaProxy(w.proxyPort, staging())).body).toBe('recreated | built once\n');
  }, 120_000);

  it("streams the running containers' output", async () => {
    const abort = new AbortController();
    const res = await fetch(`${w.server.url}/api/v1/workspaces/${w.ws}/projects/shop/environments/prod/logs?tail=5`, { headers: { authorization: `Bearer ${w.server.adminToken}` }, signal: abort.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: log')) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    expect(text).toMatch(/"line":"listening on 8080"/);
    expect(text).toMatch(/"replica":"slw-fail-shop-prod-r\d+-1"/);
  }, 60_000);

  it('a secret value reaches the container environment and nowhere else', async () => {
    const value = `s3cret-${randomBytes(12).toString('hex')}`;
    const set = await w.cli(['secret', 'set', 'DB_PASSWORD', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json'], value);
    expect(set.code, set.stderr).toBe(0);
    const { deployment } = set.json<{ deployment: { id: string } }>();
    const followed = await w.run(['logs', deployment.id, '-w', w.ws, '--follow', '--json']);
    expect(followed.json<{ end: { status: string } }>().end.status).toBe('succeeded');
    const [container] = await prodContainers();
    const inspect = JSON.parse(await w.docker(['inspect', container!])) as Array<{ Config: { Env: string[]; Labels: Record<string, string> } }>;
    expect(inspect[0]!.Config.Env).toContain(`DB_PASSWORD=${value}`);
    expect(JSON.stringify(inspect[0]!.Config.Labels)).not.toContain(value);
    const answers = [
      followed.stdout,
      set.stdout,
      (await w.run(['status', '-w', w.ws, '-p', 'shop', '--json'])).stdout,
      (await w.run(['releases', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json'])).stdout,
      (await w.run(['secret', 'list', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json'])).stdout,
      (await w.run(['config', 'get', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json'])).stdout,
      (await w.run(['audit', '-w', w.ws, '--json'])).stdout,
      await (await fetch(`${w.server.url}/api/v1/workspaces/${w.ws}/deployments/${deployment.id}`, { headers: { authorization: `Bearer ${w.server.adminToken}` } })).text(),
      w.server.logs(),
    ];
    for (const text of answers) expect(text).not.toContain(value);
    expect((await viaProxy(w.proxyPort, prod())).body).toBe(serving);
  }, 120_000);
});
