/**
 * What a pipeline run and a release step cost on the local Docker engine, side by side with the
 * plain Docker peer:
 *
 * 1. A run of a one-job pipeline (`$build`, command `true`): the time from the trigger API call
 *    until the run is seen `succeeded` (GET polled every 20 ms), against `docker run --rm` of the
 *    same image with the same command (image already pulled; the Docker CLI, not the API).
 * 2. The release step's cost on a deploy: a redeploy of prod (rolling, one replica) without a
 *    release step and with a one-job release step (`true`), alternating, from the deploy API call
 *    until the deployment has ended (polled every 20 ms).
 *
 *   npm run build && npx tsx bench/pipelines.ts [--runs 10] [--deploys 5] [--write docs/benchmarks.md]
 *
 * Set-up: `deployWorld()` (test/support/deploy.ts): a server with Caddy, project `shop` with a JAR
 * built once as 1.0.0 on a jlink'd Java base with busybox, deployed to prod first (unmeasured).
 * Everything made is removed at the end.
 */
import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import { apiClient, ok } from '../test/support/api.js';
import { deployWorld } from '../test/support/deploy.js';
import { cleanup } from '../test/support/server-process.js';
import { median, writeSection } from './support.js';

const run = promisify(execFile);
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '10' }, deploys: { type: 'string', default: '5' }, write: { type: 'string' } } });
const runs = Number(args.runs);
const deploys = Number(args.deploys);
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const manifest = (release: boolean) => `pipelines:
  noop:
    jobs:
      - name: noop
        image: $build
        command: "true"
${release ? 'release:\n  jobs:\n    - name: migrate\n      image: $build\n      command: "true"\n' : ''}`;

const w = await deployWorld({ workspace: 'benchpipes' });
try {
  const api = apiClient(w.server.url, w.server.adminToken);
  const base = `/api/v1/workspaces/${w.ws}/projects/shop`;
  const first = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--version', '1.0.0', '--skip-approval', '--json']);
  if (first.code !== 0) throw new Error(first.stderr);
  ok(await api.put(`${base}/manifest`, { yaml: manifest(false) }));

  // 1. Runs against the peer.
  const slipway: number[] = [];
  let image = '';
  for (let i = 0; i < runs + 1; i += 1) {
    const t0 = performance.now();
    const { run: r } = ok<{ run: { id: string; imageDigest: string } }>(await api.post(`${base}/environments/prod/pipelines/noop/runs`, {}));
    image = `${w.host}/${w.ws}/shop@${r.imageDigest}`;
    for (;;) {
      const now = ok<{ status: string; error: string | null }>(await api.get(`/api/v1/workspaces/${w.ws}/pipeline-runs/${r.id}`));
      if (now.status === 'succeeded') break;
      if (now.status !== 'running' && now.status !== 'queued') throw new Error(`run ${r.id} ${now.status}: ${now.error}`);
      await sleep(20);
    }
    if (i > 0) slipway.push(performance.now() - t0); // the first one warms up
  }
  const docker: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    await w.docker(['run', '--rm', '--entrypoint', '/bin/sh', image, '-c', 'true']);
    docker.push(performance.now() - t0);
  }

  // 2. Deploys without and with a release step, alternating.
  const without: number[] = [];
  const withRelease: number[] = [];
  for (let i = 0; i < deploys * 2; i += 1) {
    const release = i % 2 === 1;
    ok(await api.put(`${base}/manifest`, { yaml: manifest(release) }));
    const t0 = performance.now();
    const started = ok<{ deployment: { id: string } }>(await api.post(`${base}/environments/prod/deployments`, { version: '1.0.0', skipApproval: true }));
    for (;;) {
      const d = ok<{ status: string; error: string | null }>(await api.get(`/api/v1/workspaces/${w.ws}/deployments/${started.deployment.id}`));
      if (d.status === 'succeeded') break;
      if (d.status === 'failed' || d.status === 'cancelled') throw new Error(`deploy ${d.status}: ${d.error}`);
      await sleep(20);
    }
    (release ? withRelease : without).push(performance.now() - t0);
  }

  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, load ${loadavg()[0]!.toFixed(2)} at the end, ${(await run('docker', ['version', '--format', '{{.Server.Version}}'])).stdout.trim()}`;
  const text = `Measured with \`npx tsx bench/pipelines.ts --runs ${runs} --deploys ${deploys}\` on ${machine}.

| what | Slipway | peer | ratio |
|---|---|---|---|
| one-job run (\`true\` in the release image): trigger → \`succeeded\`, p50 / p95 of ${runs} | ${sec(median(slipway))} / ${sec(p95(slipway))} | \`docker run --rm\` of the same image: ${sec(median(docker))} / ${sec(p95(docker))} | ${(median(slipway) / median(docker)).toFixed(2)}× |
| redeploy of prod (1 replica, rolling): API call → deployment ended, p50 / p95 of ${deploys} | with a one-job release step: ${sec(median(withRelease))} / ${sec(p95(withRelease))} | without: ${sec(median(without))} / ${sec(p95(without))} | ${(median(withRelease) / median(without)).toFixed(2)}× |

A run polls its job every 500 ms (pipelines/runner.ts), and the trigger → end time here
includes the 20 ms polls of this bench; the release step adds one run (create, start, wait,
remove the container, read its output) before the new replicas start.
`;
  process.stdout.write(text);
  if (args.write) writeSection(args.write, 'pipelines', 'Pipelines: a run and the release step', text);
} finally {
  await w.dispose();
  await cleanup();
}
