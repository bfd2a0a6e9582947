/**
 * Git pushes that fire webhooks, on real parts (test/webhooks/git-push.test.ts and
 * bench/git-push.ts): `slipway server --proxy-listen … --allow-git-host 127.0.0.1`, workspace `ws`
 * with a static and a Node base pushed into its project `base`, and the test git server as the
 * forge: after every push it sends the events the forge would, signed, to the hook of the pushed
 * repository (set by {@link PushWorld.link}).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, proxyPid } from './deploy.js';
import { startGitServer, type GitServer, type GitWorkdir } from './git-server.js';
import { dockerClient, pushBase } from './images.js';
import { cli, startServerProcess, tempDir, type CliResult, type ServerProcess } from './server-process.js';
import { pushNodeBase } from './service-app.js';
import { delivery, forgeEvents, send, type Provider } from './webhook-sender.js';

export interface PushWorld {
  ws: string;
  server: ServerProcess;
  git: GitServer;
  proxyPort: number;
  /** The server's `127.0.0.1:PORT` (its registry's host); the bases are `HOST/WS/base:static` and `HOST/WS/base:node`. */
  host: string;
  /** A temp dir of the world's; `docker/` in it is the config dir of {@link docker}. */
  work: string;
  /** docker with its own config dir, logged in to the server's registry. */
  docker: ReturnType<typeof dockerClient>;
  /** Every delivery the forge sent, in order. */
  sent: Array<{ repo: string; status: number; delivery: string }>;
  /** `slipway ARGS` as the first admin, with `input` on stdin. */
  run(args: string[], input?: string): Promise<CliResult>;
  /**
   * Project `project` with a repository of the same name holding `files` in one commit (not
   * pushed), linked with `--branch-envs 'feature/*'` and `linkArgs`, its hook on `provider`;
   * fails on any refusal.
   */
  link(project: string, provider: Provider, files: Record<string, string>, linkArgs: string[], message?: string): Promise<GitWorkdir>;
  /** Stops the git server, the server and its Caddy, and removes the workspace's containers (then call cleanup()). */
  dispose(): Promise<void>;
}

/** Starts the world of workspace `ws`; on a failure, what was started is stopped. */
export async function gitPushWorld(ws: string, tempPrefix: string): Promise<PushWorld> {
  const hooks = new Map<string, { provider: Provider; url: string; secret: string }>();
  let server: ServerProcess | undefined;
  let git: GitServer | undefined;
  const dispose = async () => {
    await git?.close().catch(() => undefined);
    if (!server) return;
    const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=io.slipway.workspace=${ws}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    await server.stop().catch(() => undefined);
    const caddy = await proxyPid(server.dataDir);
    if (caddy) process.kill(caddy, 'SIGTERM');
    for (const id of ids) execFileSync('docker', ['rm', '-f', id]);
  };
  try {
    const proxyPort = await freePort();
    const s = (server = await startServerProcess({ args: ['--proxy-listen', `127.0.0.1:${proxyPort}`, '--allow-git-host', '127.0.0.1'] }));
    const run = (args: string[], input?: string): Promise<CliResult> => cli(args, { server: s.url, token: s.adminToken, ...(input !== undefined ? { input } : {}) });
    const host = new URL(s.url).host;
    const work = tempDir(tempPrefix);
    mkdirSync(join(work, 'docker'));
    const docker = dockerClient(join(work, 'docker'));
    await run(['workspace', 'create', ws, '--tier', 'high', '--json']);
    await run(['project', 'create', 'base', '-w', ws, '--json']);
    await docker(['login', host, '-u', 'ci', '--password-stdin'], s.adminToken);
    await pushBase(docker, 'static', `${host}/${ws}/base:static`);
    await pushNodeBase(docker, `${host}/${ws}/base:node`);
    const g = (git = await startGitServer());
    const sent: PushWorld['sent'] = [];
    // The forge: after every push, the events it would send, signed, to the repository's hook.
    g.onReceive(async (e) => {
      const hook = hooks.get(e.repo);
      if (!hook) return;
      for (const ev of forgeEvents(hook.provider, e.updates)) {
        const r = await send(hook.url, delivery(hook.provider, ev.event, ev.payload, hook.secret));
        sent.push({ repo: e.repo, status: r.status, delivery: String(r.body.delivery) });
      }
    });
    const ok = async (args: string[], input?: string): Promise<CliResult> => {
      const r = await run(args, input);
      if (r.code !== 0) throw new Error(`slipway ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r;
    };
    const link = async (project: string, provider: Provider, files: Record<string, string>, linkArgs: string[], message?: string): Promise<GitWorkdir> => {
      await ok(['project', 'create', project, '-w', ws, '--json']);
      await g.createRepo(project);
      const repo = await g.workdir(project);
      await repo.commit(files, message);
      await ok(['git', 'link', '-w', ws, '-p', project, `${g.url}/${project}.git`, '--credential', '-', '--branch-envs', 'feature/*', ...linkArgs, '--json'], g.token);
      const h = await ok(['git', 'hook', '-w', ws, '-p', project, '--provider', provider, '--json']);
      hooks.set(`${project}.git`, { provider, ...h.json<{ url: string; secret: string }>() });
      return repo;
    };
    return { ws, server: s, git: g, proxyPort, host, work, docker, sent, run, link, dispose };
  } catch (error) {
    await dispose().catch(() => undefined);
    throw error;
  }
}
