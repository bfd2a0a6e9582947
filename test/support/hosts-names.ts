/**
 * The names one run of test hosts uses for everything it makes on this machine, all derived from
 * a 4-hex run id so a sweeper can find a crashed run's leftovers by name: the run's folder
 * (`/tmp/slwh-<id>`, short because dockerd and containerd put unix sockets under it), the bridge
 * (`slwbr<id>`), each host's namespace (`slwh-<id>-<n>`), host-side veth (`slwv<id>-<n>`),
 * containers' cgroup parent and containerd namespace (`slwh-<id>-<n>`), and the comment on the
 * run's firewall rules (`slwh-<id>`). Interface names stay within Linux's 15 characters.
 *
 * The run's folder holds `owner` (pid and start time of the process that made the run), written
 * before anything else is made, so a sweeper leaves alone the runs of processes still alive.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

export const runIdPattern = /^[0-9a-f]{4}$/;

export interface RunNames {
  id: string;
  dir: string;
  bridge: string;
  tag: string;
  netns(n: number): string;
  veth(n: number): string;
  hostDir(n: number): string;
}

export function runNames(id: string): RunNames {
  if (!runIdPattern.test(id)) throw new Error(`not a test-host run id: ${id}`);
  return {
    id,
    dir: `/tmp/slwh-${id}`,
    bridge: `slwbr${id}`,
    tag: `slwh-${id}`,
    netns: (n) => `slwh-${id}-${n}`,
    veth: (n) => `slwv${id}-${n}`,
    hostDir: (n) => `/tmp/slwh-${id}/h${n}`,
  };
}

/** The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat), or undefined if it is gone. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Records this process as the run's owner (the run's folder must exist). */
export function writeOwner(names: RunNames): void {
  writeFileSync(`${names.dir}/owner`, `${process.pid} ${startTime(process.pid)}\n`);
}

/**
 * Whether the run's owner still runs (same pid and start time, so a reused pid does not count).
 * A folder without an owner yet is counted alive for a minute: its maker may be between the two
 * writes.
 */
export function ownerAlive(names: RunNames): boolean {
  const file = `${names.dir}/owner`;
  if (!existsSync(file)) {
    try {
      return Date.now() - statSync(names.dir).mtimeMs < 60_000;
    } catch {
      return false;
    }
  }
  const [pid, start] = readFileSync(file, 'utf8').trim().split(' ');
  return pid !== undefined && start !== undefined && startTime(Number(pid)) === start;
}
