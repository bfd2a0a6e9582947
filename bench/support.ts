/**
 * What the benches share: a free loopback port, stopping a child process (SIGTERM, then
 * SIGKILL), the median and percentiles, writing a report's section into docs/benchmarks.md, and
 * running a bench with its teardown.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

export { freePort } from '../test/support/ports.js';

/** SIGTERM, then SIGKILL after 10 s; resolves once the process is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Puts `text` between `<!-- key:start -->` and `<!-- key:end -->` in the markdown file, or appends it as a new section titled `title`. */
export function writeSection(file: string, key: string, title: string, text: string): void {
  const doc = readFileSync(file, 'utf8');
  const marker = new RegExp(`<!-- ${key}:start -->[\\s\\S]*<!-- ${key}:end -->`);
  const block = `<!-- ${key}:start -->\n${text}<!-- ${key}:end -->`;
  writeFileSync(file, marker.test(doc) ? doc.replace(marker, () => block) : `${doc.trimEnd()}\n\n## ${title}\n\n${block}\n`);
}

/** The p-th percentile (nearest rank) of the values that are numbers; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Runs a bench's `main` for its report, then `teardown` whether it worked or failed (a failure is
 * thrown on); prints the report and, with `file`, writes it into that markdown file as section
 * `key` (see {@link writeSection}).
 */
export async function report(main: () => Promise<string>, teardown: () => Promise<void>, section: { file: string | undefined; key: string; title: string }): Promise<void> {
  let text: string;
  try {
    text = await main();
  } finally {
    await teardown();
  }
  process.stdout.write(text);
  if (section.file) writeSection(section.file, section.key, section.title, text);
}

/** Runs a bench's `main`, then `teardown` whether it worked, failed or was interrupted (exit 0, 1 or 130). */
export function runBench(main: () => Promise<void>, teardown: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void teardown().finally(() => process.exit(130)));
  main().then(
    async () => {
      await teardown();
      process.exit(0);
    },
    async (error: unknown) => {
      console.error(error);
      await teardown();
      process.exit(1);
    },
  );
}
