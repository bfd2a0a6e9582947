/** Small shared pieces: the API error box, badges, a digest, a loading line, the note of a log removed by retention. */
import type { ReactNode } from 'react';
import type { ApiError } from '../api';
import { prunedNote, shortDigest } from '../format';
import { navigate } from '../router';

/** An API error as the API gave it: its message and its stable code, never swallowed. */
export function ErrorNote({ error }: { error: ApiError | null }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      <strong>{error.message}</strong> <code className="code">{error.code}</code>
    </div>
  );
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

export function Badge({ tone, children, title }: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

const statusTones: Record<string, Tone> = {
  healthy: 'ok',
  succeeded: 'ok',
  running: 'info',
  queued: 'info',
  deploying: 'info',
  'pending-approval': 'warn',
  pending: 'info',
  degraded: 'warn',
  superseded: 'muted',
  'not-deployed': 'muted',
  unknown: 'muted',
  down: 'bad',
  failed: 'bad',
  rejected: 'bad',
  baking: 'info',
  testing: 'info',
  'timed-out': 'bad',
  passed: 'ok',
  approved: 'ok',
  cancelled: 'muted',
  // Herd upgrades and their sites' steps (docs/herds.md).
  paused: 'warn',
  halted: 'bad',
  aborted: 'muted',
  done: 'ok',
  backup: 'info',
  clone: 'info',
  'awaiting-approval': 'warn',
  migrate: 'info',
  deploy: 'info',
  bake: 'info',
  reverting: 'warn',
  reverted: 'bad',
  'revert-failed': 'bad',
  rejecting: 'info',
  skipped: 'muted',
};

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={statusTones[status] ?? 'muted'}>{status}</Badge>;
}

export function Digest({ digest }: { digest: string | null | undefined }) {
  return (
    <code className="digest" title={digest ?? undefined}>
      {shortDigest(digest)}
    </code>
  );
}

/** Says that log retention removed a log's lines (so an empty log does not read as "no output"); nothing while they are all there. */
export function PrunedNote({ at }: { at: string | null | undefined }) {
  const note = prunedNote(at);
  return note ? (
    <p className="muted" role="note" data-logs-pruned={at}>
      {note}
    </p>
  ) : null;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function Link({ to, children, className }: { to: string; children: ReactNode; className?: string }) {
  return (
    <a
      href={to}
      className={className}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

/** A data table: screen-reader caption, column headers (an empty name is an actions column), rows as children. */
export function Table({ caption, columns, children }: { caption: string; columns: string[]; children: ReactNode }) {
  return (
    <div className="scroll">
      <table className="table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th scope="col" key={i}>
                {c || <span className="sr-only">Actions</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
