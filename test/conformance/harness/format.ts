/**
 * The conformance report as a plain-text table: one line per check (PASS, FAIL or SKIP, its id
 * and what it checks), the reason under each failure, a line per category and the totals.
 *
 * @module
 */
import { categories } from './check.js';
import type { ConformanceReport } from './index.js';

const labels = { pull: 'Pull', push: 'Push', discovery: 'Content Discovery', management: 'Content Management' } as const;

/** Wraps `text` at `width` columns, each line after the first indented by `indent`. */
function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join(`\n${indent}`);
}

export function formatReport(report: ConformanceReport): string {
  const idWidth = Math.max(2, ...report.results.map((r) => r.id.length));
  const out = [`OCI distribution-spec v1.1.1 conformance: ${report.url} (${report.namespace}, mounts from ${report.crossmountNamespace}; run ${report.run})`, ''];
  out.push(`${'RESULT'.padEnd(6)}  ${'ID'.padEnd(idWidth)}  CHECK`);
  const indent = ' '.repeat(6 + 2 + idWidth + 2);
  for (const r of report.results) {
    const status = r.skipped ? 'SKIP' : r.passed ? 'PASS' : 'FAIL';
    out.push(`${status.padEnd(6)}  ${r.id.padEnd(idWidth)}  ${wrap(r.name, 90, indent)}`);
    if (r.detail) out.push(`${indent}↳ ${wrap(r.detail, 88, `${indent}  `)}`);
  }
  out.push('');
  for (const category of categories) {
    const rs = report.results.filter((r) => r.category === category);
    if (rs.length === 0) continue;
    const ok = rs.filter((r) => r.passed).length;
    const skipped = rs.filter((r) => r.skipped).length;
    out.push(`${labels[category].padEnd(20)} ${ok}/${rs.length} passed${skipped ? `, ${skipped} skipped` : ''}`);
  }
  const { passed, failed, skipped } = report.counts;
  out.push(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return out.join('\n');
}
