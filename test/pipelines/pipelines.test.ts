/**
 * Pipelines on the real Docker engine and Caddy: a manifest applied (a malformed one refused with
 * line:column, nothing stored), its schedules listed with their next slot (a bad cron refused with
 * its line), jobs run as containers of the environment's release image with
 * its config and secrets, exit codes and timeouts judged, triggers queued and coalesced (never two
 * in flight), cancel, logs resumed with Last-Event-ID, and the release step of a deploy: one that
 * exits 1 fails the deploy while the old release keeps serving through the edge, one that passes
 * runs before the switch.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, tempDir } from '../support/server-process.js';
import { deployWorld, viaProxy, type DeployWorld } from '../support/deploy.js';
import { apiClient, ok } from '../support/api.js';

let w: DeployWorld;
let dir: string;
const prod = () => `prod.shop.${w.ws}.localhost`;
const serving = 'hello from prod | built once\n';

interface Run {
  id: string;
  status: string;
  error: string | null;
  pipeline: string;
  startedAt: string | null;
  finishedAt: string | null;
  jobs: Array<{ name: string; status: string; exitCode: number | null }>;
}

const manifest = (release?: string) => `# the shop's pipelines
pipelines:
  test:
    jobs:
      - name: unit
        image: $build
        command: echo "unit sees $GREETING and $TOKEN"; echo "to stderr" >&2; echo "job env $EXTRA"
        env:
          EXTRA: from-the-manifest
        timeout: 60s
      - name: lint
        image: $build
        command: [/bin/sh, -c, "echo lint ok"]
  slow:
    jobs:
      - name: sleepy
        image: $build
        command: echo "going to sleep"; sleep 60
        timeout: 3s
  wait:
    jobs:
      - name: nap
        image: $build
        command: sleep 6; echo rested
  broken:
    jobs:
      - name: missing
        image: $build
        command: [/no/such/binary]
  survive:
    jobs:
      - name: long
        image: $build
        command: echo before; sleep 6; echo after
      - name: next
        image: $build
        command: echo next ran
${release ?? ''}`;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const args = (...rest: string[]) => [...rest, '-w', w.ws, '-p', 'shop'];
const runs = async () => (await w.run([...args('pipeline', 'runs'), '--json'])).json<{ runs: Run[] }>().runs;
const getRun = async (id: string) => (await w.run(['pipeline', 'logs', id, '-w', w.ws, '--json'])).json<{ end: { status: string } }>();
const prodContainers = async () => (await w.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=prod', '--filter', 'label=io.slipway.release'])).split('\n').filter(Boolean);

beforeAll(async () => {
  w = await deployWorld({ workspace: 'pipes' });
  dir = tempDir('slipway-pipelines-');
  mkdirSync(dir, { recursive: true });
  expect((await w.run(['config', 'set', 'GREETING=hello from prod', '-w', w.ws, '-p', 'shop', '-e', 'prod'])).code).toBe(0);
  expect((await w.cli(['secret', 'set', 'TOKEN', '-w', w.ws, '-p', 'shop', '-e', 'prod'], 's3cr3t-value\n')).code).toBe(0);
  const first = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--version', '1.0.0', '--skip-approval', '--json']);
  expect(first.code, first.stderr).toBe(0);
  expect((await viaProxy(w.proxyPort, prod())).body).toBe(serving);
}, 300_000);

afterAll(async () => {
  await w?.dispose();
  await cleanup();
});

describe('pipelines', () => {
  it('a malformed manifest is refused with line:column and nothing is stored', async () => {
    const bad = file('bad.yaml', 'pipelines:\n  test:\n    jobs:\n      - name: unit\n        image: $build\n        timeout: soon\n');
    const r = await w.run([...args('pipeline', 'apply', bad), '--json']);
    expect(r.code).toBe(1);
    expect(r.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'SLW_MANIFEST_INVALID' });
    expect(r.json<{ error: { message: string } }>().error.message).toMatch(/^bad\.yaml:6:18: pipelines\.test\.jobs\[0\]\.timeout: /);
    const show = await w.run([...args('pipeline', 'show'), '--json']);
    expect(show.json<{ applied: boolean }>().applied).toBe(false);
    const run = await w.run([...args('pipeline', 'run', 'test'), '-e', 'prod', '--json']);
    expect(run.json<{ error: { code: string } }>().error.code).toBe('SLW_NO_MANIFEST');
  });

  it('pipeline schedules lists the schedules of the manifest with their next slot; a bad cron is refused with its line', async () => {
    const scheduled = 'pipelines:\n  report:\n    jobs:\n      - name: r\n        image: $build\n        command: echo report\n    schedules:\n      - cron: "0 0 29 feb *"\n        environment: prod\n';
    const bad = await w.run([...args('pipeline', 'apply', file('bad-cron.yaml', scheduled.replace('0 0 29 feb *', '0 25 * * *'))), '--json']);
    expect(bad.code).toBe(1);
    expect(bad.json<{ error: { code: string; message: string } }>().error.message).toMatch(/^bad-cron\.yaml:8:\d+: pipelines\.report\.schedules\[0\]\.cron: cron expression '0 25 \* \* \*': 25 is out of the hour range/);
    const applied = await w.run([...args('pipeline', 'apply', file('scheduled.yaml', scheduled))]);
    expect(applied.stdout).toContain('1 schedule(s): slipway pipeline schedules');
    const listed = (await w.run([...args('pipeline', 'schedules'), '--json'])).json<{ schedules: Array<{ pipeline: string; environment: string; cron: string; nextAt: string; last: unknown }> }>().schedules;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ pipeline: 'report', environment: 'prod', cron: '0 0 29 feb *', last: null });
    expect(listed[0]!.nextAt).toMatch(/^\d{4}-02-29T00:00:00\.000Z$/);
    const human = await w.run(args('pipeline', 'schedules'));
    expect(human.stdout).toMatch(/report\s.*prod\s.*0 0 29 feb \*/);
    expect((await w.run(args('pipeline', 'show'))).stdout).toContain("schedule of report: '0 0 29 feb *' (UTC) against prod");

    // Paused and resumed without touching the manifest; against prod, not by a developer.
    const byDeveloper = await w.run([...args('pipeline', 'pause', 'report'), '-e', 'prod'], w.developer);
    expect(byDeveloper.code).toBe(1);
    expect(byDeveloper.stderr).toMatch(/SLW_FORBIDDEN.*prod requires approval, so only an admin or owner may pause a schedule against it/);
    const paused = await w.run([...args('pipeline', 'pause', 'report'), '-e', 'prod', '--json']);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.json<{ schedules: Array<{ paused: { by: string | null } | null }> }>().schedules[0]!.paused).not.toBeNull();
    expect((await w.run(args('pipeline', 'schedules'))).stdout).toMatch(/report\s.*prod\s.*0 0 29 feb \*\s.*paused /);
    const resumed = await w.run(args('pipeline', 'resume', 'report'));
    expect(resumed.stdout).toMatch(/^schedule '0 0 29 feb \*' of report against prod: runs; next slot /);
    const unknown = await w.run(args('pipeline', 'pause', 'nope'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/SLW_NOT_FOUND.*pipeline 'nope' of shop has no schedule/);
  });

  it('runs a pipeline: jobs in order as containers of the release image, with the environment config, secrets and the job env', async () => {
    const applied = await w.run([...args('pipeline', 'apply', file('slipway.yaml', manifest())), '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const show = (await w.run([...args('pipeline', 'show'), '--json'])).json<{ pipelines: Array<{ name: string }> }>();
    expect(show.pipelines.map((p) => p.name).sort()).toEqual(['broken', 'slow', 'survive', 'test', 'wait']);
    const r = await w.run([...args('pipeline', 'run', 'test'), '-e', 'prod', '--follow', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ outcome: string; run: Run; lines: Array<{ job: string; stream: string; line: string }> }>();
    expect(out.outcome).toBe('started');
    expect(out.run.status).toBe('succeeded');
    expect(out.run.jobs.map((j) => [j.name, j.status, j.exitCode])).toEqual([['unit', 'succeeded', 0], ['lint', 'succeeded', 0]]);
    const output = out.lines.filter((l) => l.stream !== 'system');
    expect(output).toContainEqual(expect.objectContaining({ job: 'unit', stream: 'stdout', line: 'unit sees hello from prod and [redacted]' }));
    expect(output).toContainEqual(expect.objectContaining({ job: 'unit', stream: 'stderr', line: 'to stderr' }));
    // The job saw the secret; the stored log holds no secret value.
    expect(JSON.stringify(out.lines)).not.toContain('s3cr3t-value');
    expect(output).toContainEqual(expect.objectContaining({ job: 'unit', stream: 'stdout', line: 'job env from-the-manifest' }));
    // In order: every line of unit before lint's.
    const jobs = output.map((l) => l.job);
    expect(jobs.lastIndexOf('unit')).toBeLessThan(jobs.indexOf('lint'));
    // Finished jobs leave no container behind.
    expect((await w.docker(['ps', '-aq', '--filter', `label=io.slipway.pipeline-run=${out.run.id}`])).trim()).toBe('');
  }, 120_000);

  it('a job that exceeds its timeout is stopped and the run ends timed-out with a clear error', async () => {
    const r = await w.run([...args('pipeline', 'run', 'slow'), '-e', 'prod', '--follow', '--json']);
    expect(r.code).toBe(1);
    const err = r.json<{ error: { code: string; message: string } }>().error;
    expect(err.code).toBe('SLW_RUN_FAILED');
    expect(err.message).toMatch(/timed-out: job 'sleepy' exceeded its timeout of 3s and was stopped/);
    const run = (await runs()).find((x) => x.pipeline === 'slow')!;
    expect(run.status).toBe('timed-out');
    expect(run.jobs[0]).toMatchObject({ name: 'sleepy', status: 'timed-out' });
  }, 120_000);

  it('a job whose command is not in the image fails at once with the engine\'s reason', async () => {
    const r = await w.run([...args('pipeline', 'run', 'broken'), '-e', 'prod', '--follow', '--json']);
    expect(r.code).toBe(1);
    const err = r.json<{ error: { code: string; message: string } }>().error;
    expect(err.code).toBe('SLW_RUN_FAILED');
    expect(err.message).toMatch(/failed: job 'missing' could not run: .*\/no\/such\/binary/);
  }, 60_000);

  it('two triggers while one runs: one queued, the rest coalesced, never two in flight', async () => {
    const api = apiClient(w.server.url, w.server.adminToken);
    const path = `/api/v1/workspaces/${w.ws}/projects/shop/environments/prod/pipelines/wait/runs`;
    const answers: Array<{ run: Run; outcome: string }> = [];
    for (let i = 0; i < 4; i += 1) answers.push(ok(await api.post(path, { reason: `trigger ${i}` })));
    expect(answers.map((a) => a.outcome)).toEqual(['started', 'queued', 'coalesced', 'coalesced']);
    expect(answers[2]!.run.id).toBe(answers[1]!.run.id);
    expect(answers[3]!.run.id).toBe(answers[1]!.run.id);
    const [first, second] = [answers[0]!.run.id, answers[1]!.run.id];
    // Watch until both ended: at no look are two running.
    let maxRunning = 0;
    for (let looks = 0; looks < 400; looks += 1) {
      const all = (await runs()).filter((x) => x.pipeline === 'wait');
      maxRunning = Math.max(maxRunning, all.filter((x) => x.status === 'running').length);
      if (all.length === 2 && all.every((x) => x.status === 'succeeded')) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    const done = (await runs()).filter((x) => x.pipeline === 'wait');
    expect(done.map((x) => x.status)).toEqual(['succeeded', 'succeeded']);
    expect(maxRunning).toBe(1);
    const a = done.find((x) => x.id === first)!;
    const b = done.find((x) => x.id === second)!;
    expect(Date.parse(b.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a.finishedAt!));
  }, 120_000);

  it('a run log resumes with Last-Event-ID: nothing lost, nothing repeated', async () => {
    const run = (await runs()).find((x) => x.pipeline === 'test')!;
    const url = `${w.server.url}/api/v1/workspaces/${w.ws}/pipeline-runs/${run.id}/logs`;
    const headers = { authorization: `Bearer ${w.server.adminToken}` };
    const all = await (await fetch(url, { headers })).text();
    const ids = [...all.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids.length).toBeGreaterThan(5);
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    const rest = await (await fetch(url, { headers: { ...headers, 'last-event-id': '3' } })).text();
    const restIds = [...rest.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(restIds).toEqual(ids.slice(3));
    expect(rest).toMatch(/event: end\ndata: \{"status":"succeeded"/);
    // The CLI prints the same lines.
    expect((await getRun(run.id)).end.status).toBe('succeeded');
  });

  it('cancel stops a running job and ends the run cancelled; a second cancel says it has ended', async () => {
    const api = apiClient(w.server.url, w.server.adminToken);
    const { run } = ok<{ run: Run }>(await api.post(`/api/v1/workspaces/${w.ws}/projects/shop/environments/prod/pipelines/slow/runs`, {}));
    // Wait until its job runs.
    for (let i = 0; i < 100 && ok<Run>(await api.get(`/api/v1/workspaces/${w.ws}/pipeline-runs/${run.id}`)).jobs[0]!.status !== 'running'; i += 1) await new Promise((r) => setTimeout(r, 100));
    const c = await w.run(['pipeline', 'cancel', run.id, '-w', w.ws, '--json']);
    expect(c.code, c.stderr).toBe(0);
    let final: Run = run;
    for (let i = 0; i < 100; i += 1) {
      final = ok<Run>(await api.get(`/api/v1/workspaces/${w.ws}/pipeline-runs/${run.id}`));
      if (final.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(final.status).toBe('cancelled');
    expect(final.jobs[0]!.status).toBe('cancelled');
    expect((await w.docker(['ps', '-aq', '--filter', `label=io.slipway.pipeline-run=${run.id}`])).trim()).toBe('');
    const again = await w.run(['pipeline', 'cancel', run.id, '-w', w.ws, '--json']);
    expect(again.json<{ error: { code: string } }>().error.code).toBe('SLW_RUN_ENDED');
  }, 60_000);

  it("deleting an environment stops its running job's container at once, not at the job's end", async () => {
    const api = apiClient(w.server.url, w.server.adminToken);
    expect((await w.run(['env', 'create', 'qa', '-w', w.ws, '-p', 'shop', '--json'])).code).toBe(0);
    const deployed = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'qa', '--version', '1.0.0', '--json']);
    expect(deployed.code, deployed.stderr).toBe(0);
    const { run } = ok<{ run: Run }>(await api.post(`/api/v1/workspaces/${w.ws}/projects/shop/environments/qa/pipelines/wait/runs`, {}));
    for (let i = 0; i < 100 && ok<Run>(await api.get(`/api/v1/workspaces/${w.ws}/pipeline-runs/${run.id}`)).jobs[0]!.status !== 'running'; i += 1) await new Promise((r) => setTimeout(r, 100));
    const jobContainers = async () => (await w.docker(['ps', '-aq', '--filter', `label=io.slipway.pipeline-run=${run.id}`])).trim();
    // The job is marked running as its container is created: wait for the container itself.
    await expect.poll(jobContainers, { timeout: 30_000, interval: 200 }).not.toBe('');
    const deleted = await w.run(['env', 'delete', 'qa', '-w', w.ws, '-p', 'shop', '--confirm', 'qa', '--json']);
    expect(deleted.code, deleted.stderr).toBe(0);
    // The job sleeps 6 s; its container is gone when the delete answers (it used to stay on the target for good).
    expect(await jobContainers()).toBe('');
    expect((await api.get(`/api/v1/workspaces/${w.ws}/pipeline-runs/${run.id}`)).status).toBe(404);
  }, 90_000);

  it('a run survives a kill -9 of the control plane: the job goes on, its log resumes without a repeated line', async () => {
    const api = apiClient(w.server.url, w.server.adminToken);
    const { run } = ok<{ run: Run }>(await api.post(`/api/v1/workspaces/${w.ws}/projects/shop/environments/prod/pipelines/survive/runs`, {}));
    const logsOf = async () => (await w.run(['pipeline', 'logs', run.id, '-w', w.ws, '--json'])).json<{ lines: Array<{ job: string; stream: string; line: string }>; end: { status: string } }>();
    for (let i = 0; i < 200 && !(await logsOf()).lines.some((l) => l.line === 'before'); i += 1) await new Promise((r) => setTimeout(r, 100));
    await w.server.kill9();
    await w.restart();
    let final = await logsOf();
    for (let i = 0; i < 300 && final.end.status === 'running'; i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      final = await logsOf();
    }
    expect(final.end.status).toBe('succeeded');
    const output = final.lines.filter((l) => l.stream !== 'system').map((l) => `${l.job}:${l.line}`);
    expect(output).toEqual(['long:before', 'long:after', 'next:next ran']);
    expect(final.lines.some((l) => l.stream === 'system' && /continuing after a restart/.test(l.line))).toBe(true);
  }, 120_000);

  it("a developer's release step does not run in prod until an admin reviews it; one that exits 1 fails the deploy; the old release keeps serving and the new one is never routed", async () => {
    const failing = manifest(`release:\n  jobs:\n    - name: migrate\n      image: $build\n      command: echo "migrating with $GREETING"; exit 1\n`);
    const applied = await w.run([...args('pipeline', 'apply', file('failing.yaml', failing))], w.developer);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('review: pending — prod requires approval and runs none of its jobs until an admin or owner reviews it: slipway pipeline review -p shop');
    // The reviewer reads the changes since the text last reviewed (the admin's earlier manifest).
    const shown = await w.run(args('pipeline', 'show'));
    expect(shown.stdout).toContain('changes since the last review:');
    expect(shown.stdout).toMatch(/^\+ release:$/m);
    expect(shown.stdout).toMatch(/^\+ +command: echo "migrating with \$GREETING"; exit 1$/m);
    const unreviewed = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--version', '1.0.0', '--skip-approval']);
    expect(unreviewed.code).toBe(1);
    expect(unreviewed.stderr).toMatch(/SLW_MANIFEST_UNREVIEWED.*shop\/prod requires approval, and the manifest of shop \(uploaded by dave@example\.com at .*; a deploy there runs its release step, so nothing was deployed/);
    expect(unreviewed.stderr).not.toMatch(/migrating with/);
    expect((await viaProxy(w.proxyPort, prod())).body).toBe(serving);
    const reviewed = await w.run([...args('pipeline', 'review'), '--json']);
    expect(reviewed.code, reviewed.stderr).toBe(0);
    expect(reviewed.json<{ review: { reviewed: boolean; reviewedBy: string } }>().review).toMatchObject({ reviewed: true });
    const r = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--version', '1.0.0', '--skip-approval']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/release step failed: job 'migrate' exited with code 1/);
    expect(r.stderr).toMatch(/\[migrate\] migrating with hello from prod/);
    // The old release still answers through the edge; only its workload runs.
    const res = await viaProxy(w.proxyPort, prod());
    expect(res).toEqual({ status: 200, body: serving });
    const releases = (await w.run(['releases', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--json'])).json<{ releases: Array<{ number: number; status: string }> }>().releases;
    expect(releases[0]).toMatchObject({ number: 2, status: 'failed' });
    const containers = await prodContainers();
    expect(containers).toHaveLength(1);
    expect((await w.docker(['inspect', '-f', '{{index .Config.Labels "io.slipway.release"}}', containers[0]!])).trim()).toBe('1');
  }, 120_000);

  it('a passing release step runs before the new replicas start and before the switch', async () => {
    const passing = manifest(`release:\n  jobs:\n    - name: migrate\n      image: $build\n      command: echo "migrated"\n`);
    expect((await w.run([...args('pipeline', 'apply', file('passing.yaml', passing))])).code).toBe(0);
    const r = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--version', '1.0.0', '--skip-approval', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const id = r.json<{ deployment: { id: string } }>().deployment.id;
    const events = (await w.run(['logs', id, '-w', w.ws, '--json'])).json<{ events: Array<{ step: string; message: string }> }>().events;
    const steps = events.map((e) => e.step);
    const migrated = events.findIndex((e) => e.step === 'release' && e.message === '[migrate] migrated');
    expect(migrated).toBeGreaterThan(-1);
    expect(migrated).toBeLessThan(steps.indexOf('start'));
    expect(steps.indexOf('start')).toBeLessThan(steps.indexOf('switch'));
    expect((await viaProxy(w.proxyPort, prod())).body).toBe(serving);
    const release = (await runs()).find((x) => x.pipeline === ':release' && x.status === 'succeeded');
    expect(release?.jobs).toEqual([expect.objectContaining({ name: 'migrate', status: 'succeeded', exitCode: 0 })]);
  }, 120_000);
});
