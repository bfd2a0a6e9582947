/**
 * A process that makes one test host, starts a container on it from image `argv[2]`, prints the
 * run id and the pids that must not outlive it as one JSON line, and waits: hosts-cleanup.test.ts
 * kills it (SIGKILL, SIGTERM) or lets it end (`exit` after a line on stdin) to check what is left.
 */
import { createTestHosts } from './hosts.js';

const image = process.argv[2] ?? '';
const world = await createTestHosts({ count: 1, prefix: 'fixture' });
const host = world.hosts[0]!;
await host.loadImage(image);
const id = (await host.docker(['run', '-d', image, 'busybox', 'sleep', '3600'])).trim();
const containerPid = Number((await host.docker(['inspect', '-f', '{{.State.Pid}}', id])).trim());
const spawned = host.spawn('sleep', ['3600'], { stdio: 'ignore' });
process.stdout.write(`${JSON.stringify({ runId: world.runId, pids: [host.enginePid, containerPid, spawned.pid] })}\n`);
process.stdin.once('data', () => process.exit(0));
