/**
 * A control plane in miniature for the supervisor tests: starts a CaddySupervisor from the JSON
 * options in argv[2], sets the routes in argv[3], prints `ready <pid of caddy>` and waits to be
 * killed. Run with `node --import tsx`.
 */
import { CaddySupervisor, type CaddySupervisorOptions } from '../caddy-supervisor.js';
import type { RouteSpec } from '../caddy-config.js';

const options = JSON.parse(process.argv[2] ?? '{}') as CaddySupervisorOptions;
const routes = JSON.parse(process.argv[3] ?? '[]') as RouteSpec[];
const supervisor = new CaddySupervisor(options);
await supervisor.start();
for (const route of routes) await supervisor.admin.setRoute(route.id, route.hosts, route.upstreams);
process.stdout.write(`ready ${supervisor.pid ?? 'adopted'}\n`);
setInterval(() => undefined, 60_000);
