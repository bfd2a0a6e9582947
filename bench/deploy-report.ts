/**
 * bench/deploy.ts's samples and the markdown report made of them.
 *
 * @module
 */
import { percentile } from './support.js';

export interface Sample {
  run: number;
  toTraffic: number;
  apiAnswer: number;
  toStarted: number;
  pull: number;
  startToReady: number;
  claimedToStart: number;
  dockerCreate: number;
  dockerStart: number;
  appStart: number;
  readinessSeen: number;
  readyToSwitch: number;
  switchToTraffic: number;
  serverDuration: number;
  startedToSwitch: number;
  switchToFinished: number;
  stopOld: number;
  polls: number;
  errors: string[];
  other: number;
  earlyNew: number;
  retried: number;
}

export { percentile };
export const s = (ms: number) => (Number.isNaN(ms) ? 'n/a' : (ms / 1000).toFixed(2));


/** The markdown section: machine, command, the table of percentiles, goal and poller totals. */
export function report(samples: Sample[], machineLine: string, o: { consecutive: number; pollMs: number }): string {
  const { consecutive, pollMs } = o;
  const rows: Array<[string, (x: Sample) => number]> = [
    ['**promote call → 100 % of traffic on the new release** (client, through Caddy)', (x) => x.toTraffic],
    ['promote API call answered (201, deployment queued)', (x) => x.apiAnswer],
    ['promote call → deployment claimed by the engine (`startedAt`)', (x) => x.toStarted],
    ['`pull` step (image already in the engine)', (x) => x.pull],
    ['`startedAt` → `start` event (pull, config, secrets, list replicas)', (x) => x.claimedToStart],
    ['**container start → ready** (`start` → `ready` events)', (x) => x.startToReady],
    ['· of which docker create (`start` event → container Created)', (x) => x.dockerCreate],
    ['· of which docker start (Created → State.StartedAt)', (x) => x.dockerStart],
    ['· of which JVM + app start (StartedAt → app logs "listening on")', (x) => x.appStart],
    ['· of which readiness seen (listening → `ready` event; 100 ms probe interval)', (x) => x.readinessSeen],
    ['`ready` → `switch` (route old + new, then new only: 2 Caddy loads)', (x) => x.readyToSwitch],
    ['`switch` event logged → first of the 10 new answers (client; the event is written after Caddy loaded the config, so ≤ 0 is possible)', (x) => x.switchToTraffic],
    ['server-side deployment `startedAt` → `finishedAt`', (x) => x.serverDuration],
    ['· `startedAt` → `switch`', (x) => x.startedToSwitch],
    ['· `switch` → `finishedAt` (drain 2 s, stop + remove old replica)', (x) => x.switchToFinished],
    ['· · of which stop (SIGTERM) + remove of the old replica (`drain` event + 2 s → `stop-old` event)', (x) => x.stopOld],
  ];
  const table = [
    `| ${samples.length} promotions dev → staging, 1 replica, image pulled | p50 s | p95 s | min s | max s |`,
    '|---|---|---|---|---|',
    ...rows.map(([name, f]) => {
      const v = samples.map(f);
      return `| ${name} | ${s(percentile(v, 50))} | ${s(percentile(v, 95))} | ${s(Math.min(...v))} | ${s(Math.max(...v))} |`;
    }),
  ];
  const p50 = percentile(samples.map((x) => x.toTraffic), 50);
  const polls = samples.reduce((a, x) => a + x.polls, 0);
  const errors = samples.flatMap((x) => x.errors);
  const other = samples.reduce((a, x) => a + x.other, 0);
  const early = samples.reduce((a, x) => a + x.earlyNew, 0);
  const retried = samples.reduce((a, x) => a + x.retried, 0);
  const command = ['npx', 'tsx', 'bench/deploy.ts', ...process.argv.slice(2)].join(' ');
  return [
    machineLine,
    `Command: \`${command}\`. Server, Caddy, the Docker engine, the app containers and the client on the same machine; the server at its default log level. Per promotion: a staged config change (\`GREETING=run-i\`, \`restart=false\`) on staging, then \`POST …/promotions {from: dev, to: staging}\`; "100 %" = the arrival of the first of ${consecutive} consecutive answers \`run-i\` to one-at-a-time GETs through Caddy every ${pollMs} ms.`,
    '',
    ...table,
    '',
    `Goal: p50 of promote → 100 % traffic under 1.5 s for an app that is ready at once: **${p50 < 1500 ? 'met' : 'not met'}** (p50 ${s(p50)} s; the test app's JVM start is included).`,
    `Per run, promote → 100 % s: ${samples.map((x) => s(x.toTraffic)).join(', ')}.`,
    `Poller: ${polls} GETs, ${errors.length} failed${errors.length ? ` (${[...new Set(errors)].slice(0, 3).join('; ')})` : ''}, ${other} other answers (non-200 or unexpected body), ${retried} retried once after Caddy closed a reused keep-alive connection, ${early} new-release answers seen before the final run of ${consecutive} (old and new replicas share the route between \`route\` and \`switch\`).`,
  ].join('\n');
}
