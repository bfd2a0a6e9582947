/**
 * A deploy's live log: its lines as they happen (server-sent events, resumed after a network
 * blip with Last-Event-ID), its steps with their timings, and how it ended.
 */
import { useEffect, useRef, useState } from 'react';
import { get, path } from '../api';
import { duration, stepTimings } from '../format';
import { href } from '../router';
import { follow, type StreamState } from '../sse';
import type { DeployEnd, DeployLog, DeploymentInProject, LogLine } from '../types';
import { ErrorNote, Link, Loading, PrunedNote, StatusBadge } from '../ui/bits';
import { useLoad } from '../ui/hooks';
import type { ApiError } from '../api';

export function DeployLog({ ws, id }: { ws: string; id: string }) {
  const url = path('workspaces', ws, 'deployments', id);
  const deployment = useLoad(() => get<DeploymentInProject>(url), url);
  const [lines, setLines] = useState<LogLine[]>([]);
  const [end, setEnd] = useState<(DeployEnd & { at: string }) | null>(null);
  const [stream, setStream] = useState<StreamState>('connecting');
  const [streamError, setStreamError] = useState<ApiError | null>(null);
  const reloadDeployment = useRef(deployment.reload);
  reloadDeployment.current = deployment.reload;
  useEffect(() => {
    setLines([]);
    setEnd(null);
    return follow(`${url}/events`, {
      onEvent: (e) => {
        if (e.type === 'log') {
          const line = { seq: Number(e.id), ...(JSON.parse(e.data) as DeployLog) };
          setLines((old) => (old.some((l) => l.seq === line.seq) ? old : [...old, line]));
        } else if (e.type === 'end') {
          setEnd({ ...(JSON.parse(e.data) as DeployEnd), at: new Date().toISOString() });
          reloadDeployment.current();
        }
      },
      onState: setStream,
      onError: setStreamError,
    });
  }, [url]);
  const d = deployment.data;
  const status = end?.status ?? d?.status ?? 'queued';
  const timings = stepTimings(lines, d?.finishedAt ?? (end ? lines[lines.length - 1]?.at ?? null : null));
  return (
    <section aria-labelledby="log-title">
      <div className="heading-row">
        <h1 id="log-title">
          {d ? (
            <>
              Deploy of release #{d.releaseNumber} to {d.project}/{d.environment}
            </>
          ) : (
            <>Deployment {id}</>
          )}
        </h1>
        <span className="deploy-status" aria-live="polite">
          <StatusBadge status={status} />
        </span>
      </div>
      <ErrorNote error={deployment.error ?? streamError} />
      {d && (
        <p className="muted">
          <Link to={href('w', ws, 'p', d.project)}>Back to the pipeline</Link> · <Link to={href('w', ws, 'p', d.project, 'e', d.environment)}>releases of {d.environment}</Link>
          {stream === 'reconnecting' && <> · connection lost, reconnecting…</>}
          {stream === 'open' && !end && <> · following live</>}
        </p>
      )}
      {(end?.error ?? d?.error) && (
        <div className="error" role="alert">
          <strong>{end?.error ?? d?.error}</strong>
        </div>
      )}
      {timings.length > 0 && (
        <ol className="steps" aria-label="Steps">
          {timings.map((t, i) => (
            <li key={`${t.step}-${i}`}>
              <span className="step">{t.step}</span> <span className="muted">{t.ms > 0 || i < timings.length - 1 || end ? duration(t.ms) : '…'}</span>
            </li>
          ))}
        </ol>
      )}
      <PrunedNote at={end?.logsPrunedAt ?? d?.logsPrunedAt} />
      {lines.length === 0 && !end && !d?.logsPrunedAt && <Loading what="the log" />}
      <ol className="log" aria-label="Deploy log" aria-live="polite">
        {lines.map((l) => (
          <li key={l.seq} className={`log-${l.level}`}>
            <time dateTime={l.at}>{l.at.slice(11, 23)}</time> <span className="step">{l.step}</span> <span className="message">{l.message}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
