/**
 * One pipeline run: its jobs with their status and exit code, and its log live (server-sent
 * events, resumed after a network blip with Last-Event-ID), a Cancel button while it is not over.
 */
import { useEffect, useRef, useState } from 'react';
import { get, path, post, type ApiError } from '../api';
import { href } from '../router';
import { follow, type StreamState } from '../sse';
import type { PipelineRunInfo, RunEnd, RunLog as RunLogLine } from '../types';
import { ErrorNote, Link, Loading, PrunedNote, StatusBadge, Table } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';

type Line = RunLogLine & { seq: number };

export function RunLog({ ws, id }: { ws: string; id: string }) {
  const url = path('workspaces', ws, 'pipeline-runs', id);
  const run = useLoad(() => get<PipelineRunInfo>(url), url);
  const [lines, setLines] = useState<Line[]>([]);
  const [end, setEnd] = useState<RunEnd | null>(null);
  const [stream, setStream] = useState<StreamState>('connecting');
  const [streamError, setStreamError] = useState<ApiError | null>(null);
  const reload = useRef(run.reload);
  reload.current = run.reload;
  const action = useAction();
  useEffect(() => {
    setLines([]);
    setEnd(null);
    let lastJobs = '';
    return follow(`${url}/logs`, {
      onEvent: (e) => {
        if (e.type === 'log') {
          const line = { seq: Number(e.id), ...(JSON.parse(e.data) as RunLogLine) };
          setLines((old) => (old.some((l) => l.seq === line.seq) ? old : [...old, line]));
          // A line of Slipway's own marks a job starting or ending: show the jobs' new states.
          if (line.stream === 'system' && line.line !== lastJobs) {
            lastJobs = line.line;
            reload.current();
          }
        } else if (e.type === 'end') {
          setEnd(JSON.parse(e.data) as RunEnd);
          reload.current();
        }
      },
      onState: setStream,
      onError: setStreamError,
    });
  }, [url]);
  const r = run.data;
  const status = end?.status ?? r?.status ?? 'queued';
  const over = status !== 'queued' && status !== 'running';
  return (
    <section aria-labelledby="run-title">
      <div className="heading-row">
        <h1 id="run-title">{r ? `Run of ${r.pipeline === ':release' ? 'the release step' : r.pipeline} on ${r.project}/${r.environment}` : `Run ${id}`}</h1>
        <span className="deploy-status" aria-live="polite">
          <StatusBadge status={status} />
        </span>
        {!over && (
          <button type="button" className="ghost" disabled={action.busy || r?.cancelRequested === true} onClick={() => void action.run(() => post<PipelineRunInfo>(`${url}/cancel`)).then(() => run.reload())}>
            Cancel run
          </button>
        )}
      </div>
      <ErrorNote error={run.error ?? streamError ?? action.error} />
      {r && (
        <p className="muted">
          <Link to={href('w', ws, 'p', r.project, 'pipelines')}>Back to the pipelines</Link> · image <code>{r.imageDigest || 'none'}</code> · {r.trigger.kind}
          {r.trigger.by ? ` by ${r.trigger.by}` : ''}
          {r.deploymentId && (
            <>
              {' '}
              · <Link to={href('w', ws, 'deployments', r.deploymentId)}>its deployment</Link>
            </>
          )}
          {stream === 'reconnecting' && <> · connection lost, reconnecting…</>}
          {stream === 'open' && !end && <> · following live</>}
        </p>
      )}
      {(end?.error ?? r?.error) && (
        <div className="error" role="alert">
          <strong>{end?.error ?? r?.error}</strong>
        </div>
      )}
      {r && (
        <Table caption="Jobs" columns={['Job', 'Image', 'Status', 'Exit code']}>
          {r.jobs.map((j) => (
            <tr key={j.name} data-job={j.name}>
              <td>{j.name}</td>
              <td>
                <code>{j.image}</code>
              </td>
              <td>
                <StatusBadge status={j.status} />
              </td>
              <td>{j.exitCode ?? '—'}</td>
            </tr>
          ))}
        </Table>
      )}
      <PrunedNote at={end?.logsPrunedAt ?? r?.logsPrunedAt} />
      {lines.length === 0 && !end && !r?.logsPrunedAt && <Loading what="the log" />}
      <ol className="log" aria-label="Run log" aria-live="polite">
        {lines.map((l) => (
          <li key={l.seq} className={l.stream === 'stderr' ? 'log-warn' : l.stream === 'system' ? 'log-info' : ''}>
            <span className="step">{l.job || '—'}</span> <span className="message">{l.line}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
