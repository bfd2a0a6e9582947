/**
 * Logs and events against the real engine: stdout and stderr told apart, a line longer than the
 * engine's 16 KiB message size arrives whole, following ends when the container stops, `tail`,
 * `since` and `timestamps` work, an abort ends a stream at once; events are filtered by label.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from './engine.js';
import { sinceOf } from './logs.js';
import { importBusyboxImage, removeTestObjects, testLabel, uniqueRun } from './test-support/busybox.js';
import type { EngineEvent, LogLine } from './types.js';

const docker = new DockerEngine();
const run = uniqueRun();
const image = `slipway-test/busybox:${run}`;
const labels = { [testLabel]: run };

async function container(name: string, script: string, extraLabels: Record<string, string> = {}): Promise<string> {
  return docker.createContainer(`slw-${run}-${name}`, { image, env: {}, labels: { ...labels, ...extraLabels }, cmd: ['sh', '-c', script], containerPort: 8080, hostIp: '127.0.0.1' });
}

/** A line of 20 000 `x` shown as `x×20000`, so that a failure stays readable. */
const short = (line: string): string => (line.length > 50 ? `${line[0]}×${line.length}` : line);

async function collect(iterable: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const l of iterable) lines.push(l);
  return lines;
}

beforeAll(async () => {
  await importBusyboxImage(image, run);
});

afterAll(async () => {
  await removeTestObjects(docker, run, [image]);
});

describe('logs', () => {
  it('follows stdout and stderr line by line until the container stops', async () => {
    const id = await container('talk', [
      'echo out1', 'echo err1 >&2', 'i=0; while [ $i -lt 3 ]; do echo tick$i; i=$((i+1)); sleep 0.1; done',
      "busybox head -c 20000 /dev/zero | busybox tr '\\0' x; echo", "printf 'no newline'",
    ].join('; '));
    await docker.startContainer(id);
    const started = Date.now();
    const lines = await collect(docker.logs(id, { follow: true }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(lines.filter((l) => l.stream === 'stderr')).toEqual([{ stream: 'stderr', line: 'err1' }]);
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => short(l.line))).toEqual(['out1', 'tick0', 'tick1', 'tick2', 'x×20000', 'no newline']);
    expect((await docker.inspectContainer(id))?.state.running).toBe(false);

    // `tail` counts the engine's messages: the long line is two (16 KiB and the rest).
    expect((await collect(docker.logs(id, { follow: false, tail: 1 }))).map((l) => l.line)).toEqual(['no newline']);
    expect((await collect(docker.logs(id, { follow: false, tail: 3 }))).map((l) => short(l.line))).toEqual(['x×20000', 'no newline']);
    const stamped = await collect(docker.logs(id, { follow: false, timestamps: true }));
    expect(stamped).toHaveLength(7);
    expect(stamped.map((l) => short(l.line))).toContain('x×20000');
    for (const l of stamped) expect(l.timestamp).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    // tick2 comes 100 ms after tick1: since = tick1 + 50 ms starts there.
    const after = Number(sinceOf(stamped.find((l) => l.line === 'tick1')?.timestamp ?? '')) + 0.05;
    expect((await collect(docker.logs(id, { follow: false, since: after }))).map((l) => short(l.line))).toEqual(['tick2', 'x×20000', 'no newline']);
  });

  it('ends at once when aborted, also while the container keeps writing', async () => {
    const id = await container('chatty', 'while true; do echo line; sleep 0.05; done');
    await docker.startContainer(id);
    const abort = new AbortController();
    const lines: LogLine[] = [];
    const started = Date.now();
    for await (const l of docker.logs(id, { follow: true }, abort.signal)) {
      lines.push(l);
      if (lines.length === 3) abort.abort();
    }
    expect(lines).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(5_000);
    // Leaving the loop early closes the stream too.
    for await (const l of docker.logs(id, { follow: true })) if (l.line === 'line') break;
    expect(await collect(docker.logs(id, { follow: true }, AbortSignal.abort()))).toEqual([]);
    await docker.removeContainer(id, { force: true });
  });

  it('fails clearly for an unknown container', async () => {
    await expect(collect(docker.logs(`slw-${run}-nothing`, { follow: false }))).rejects.toMatchObject({ statusCode: 404, message: expect.stringContaining('No such container') });
  });
});

describe('events', () => {
  it('streams the events of the labelled containers until aborted', async () => {
    const mark = { 'io.slipway.events': run };
    const abort = new AbortController();
    const seen: EngineEvent[] = [];
    const done = (async () => {
      for await (const e of docker.events({ filters: { type: ['container'], label: [`io.slipway.events=${run}`] } }, abort.signal)) {
        seen.push(e);
        if (e.action === 'die') abort.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    await container('unrelated', 'exit 0');
    const id = await container('evented', 'exit 0', mark);
    await docker.startContainer(id);
    await done;
    expect(seen.map((e) => e.action)).toEqual(['create', 'start', 'die']);
    expect(seen.every((e) => e.id === id && e.type === 'container' && e.attributes['io.slipway.events'] === run)).toBe(true);
    expect(seen[0]?.timeMs).toBeGreaterThan(Date.now() - 60_000);
  });
});
