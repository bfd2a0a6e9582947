/**
 * Temporary /etc/hosts lines for tests whose names must resolve on this machine (a local ACME CA
 * validating a domain of a test host). Each line ends with a marker naming the test process
 * (`# slipway-test pid=N`); `remove()` takes them out again, an exit hook does so if the test
 * ends without it, and the next `addHostsLines` removes the lines of processes that are gone
 * (a killed test). The file is rewritten in place (it may be a bind mount that cannot be
 * replaced by a rename); needs root.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const HOSTS = '/etc/hosts';
const MARKER = '# slipway-test pid=';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** /etc/hosts without the lines `drop` picks (by the pid in their marker). */
function rewrite(drop: (pid: number) => boolean): void {
  const text = readFileSync(HOSTS, 'utf8');
  const kept = text.split('\n').filter((line) => {
    const at = line.indexOf(MARKER);
    return at < 0 || !drop(Number(line.slice(at + MARKER.length)));
  });
  const next = kept.join('\n');
  if (next !== text) writeFileSync(HOSTS, next);
}

/** Adds `address name` lines; resolves with the function that removes them (safe to call twice). */
export function addHostsLines(entries: Array<{ address: string; name: string }>): () => void {
  rewrite((pid) => !alive(pid));
  const text = readFileSync(HOSTS, 'utf8');
  const lines = entries.map((e) => `${e.address} ${e.name} ${MARKER}${process.pid}`);
  writeFileSync(HOSTS, `${text.endsWith('\n') || text === '' ? text : `${text}\n`}${lines.join('\n')}\n`);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    rewrite((pid) => pid === process.pid);
  };
  process.once('exit', remove);
  return remove;
}
