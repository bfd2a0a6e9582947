/** How the panel writes digests, sizes, times and durations. Pure. */

/** `sha256:0123456789ab…` → `0123456789ab` (12 hex digits, as docker does). */
export function shortDigest(digest: string | null | undefined): string {
  if (!digest) return '—';
  const hex = digest.includes(':') ? digest.slice(digest.indexOf(':') + 1) : digest;
  return hex.slice(0, 12);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago" relative to `now`. */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/** Like {@link ago}, and for a time ahead: "in 6 h", "in 20 min" (an expiry). */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (s < 45) return ago(iso, now);
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  if (s < 86400) return `in ${Math.round(s / 3600)} h`;
  return `in ${Math.round(s / 86400)} d`;
}

/** What a log removed by retention says instead of its lines (the CLI's words); null while it is all there. */
export function prunedNote(at: string | null | undefined): string | null {
  return at ? `Logs removed by retention on ${at.slice(0, 16).replace('T', ' ')} UTC (server --keep-logs).` : null;
}

/** 0.42 s, 12 s, 2 min 5 s. */
export function duration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

export interface StepTiming {
  step: string;
  startedAt: string;
  ms: number;
}

/** Steps of a deploy log in order, each lasting until the next step's first line (the last until `end`). */
export function stepTimings(lines: { step: string; at: string }[], end: string | null): StepTiming[] {
  const out: StepTiming[] = [];
  for (const line of lines) {
    const last = out[out.length - 1];
    if (last && last.step === line.step) continue;
    if (last) last.ms = Date.parse(line.at) - Date.parse(last.startedAt);
    out.push({ step: line.step, startedAt: line.at, ms: 0 });
  }
  const last = out[out.length - 1];
  if (last && end) last.ms = Date.parse(end) - Date.parse(last.startedAt);
  return out;
}
