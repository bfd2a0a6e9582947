/**
 * An environment's runtime output (as `logs --runtime --tail N`): the last lines of each running
 * container of its current release, then every new line as it is written, each with its replica
 * and stream. The stream ends when no container runs or the containers stop; once a new release
 * of the environment has rolled out (announced on the workspace's change stream) it follows that
 * release's containers by itself. At most the last {@link keep} lines are kept on screen. After a
 * reconnect (or Follow again) the server sends each container's last lines again: the tab drops
 * those it shows already (panel/src/replay.ts) and resumes after its last line.
 */
import { useEffect, useState } from 'react';
import { path, type ApiError } from '../api';
import { ReplayFilter } from '../replay';
import { follow, type StreamState } from '../sse';
import type { RuntimeEnd, RuntimeLine, StreamError } from '../types';
import { ErrorNote } from '../ui/bits';
import { useChanges } from '../ui/live';

const keep = 2000;
type Line = (RuntimeLine & { kind: 'line' }) | { kind: 'note'; line: string };

export function EnvLogs({ ws, project, env }: { ws: string; project: string; env: string }) {
  const url = `${path('workspaces', ws, 'projects', project, 'environments', env)}/logs`;
  const [tail, setTail] = useState(50);
  const [round, setRound] = useState(0);
  const [following, setFollowing] = useState(true);
  const [lines, setLines] = useState<Line[]>([]);
  const [end, setEnd] = useState<RuntimeEnd | null>(null);
  const [state, setState] = useState<StreamState>('connecting');
  const [error, setError] = useState<ApiError | null>(null);
  const add = (line: Line) => setLines((old) => (old.length >= keep ? [...old.slice(old.length - keep + 1), line] : [...old, line]));
  // What the tab shows of each container, kept across Follow again (a new tail starts afresh).
  const [replay] = useState(() => new ReplayFilter());
  useEffect(() => {
    if (!following) return;
    setEnd(null);
    setError(null);
    let opened = false;
    // A connection starts with each container's last lines: those shown already are dropped.
    replay.resume(tail);
    const stop = follow(`${url}?tail=${tail}`, {
      onEvent: (e) => {
        if (e.type === 'log') for (const l of replay.take(JSON.parse(e.data) as RuntimeLine)) add({ kind: 'line', ...l });
        else if (e.type === 'end') setEnd(JSON.parse(e.data) as RuntimeEnd);
        else if (e.type === 'error') {
          // Reading the containers' output failed on the server: say so and stop (Follow again retries).
          setEnd({ replicas: 0, reason: `reading the output failed: ${(JSON.parse(e.data) as StreamError).message}` });
          stop();
        }
      },
      onState: (s) => {
        setState(s);
        // A reconnect starts with the last lines again (the runtime output has no ids): resume after the last one shown.
        if (s === 'open' && opened) {
          replay.resume(tail);
          add({ kind: 'note', line: 'reconnected: resuming after the last line shown' });
        }
        if (s === 'open') opened = true;
      },
      onError: setError,
    });
    return stop;
  }, [url, tail, round, following]);
  // A new release of this environment runs other containers: follow those. (Not when the change
  // stream (re)opens, `null`: this view's own stream says when its containers stop.)
  useChanges(
    (c) => {
      if (c === null) return;
      add({ kind: 'note', line: 'a new release rolled out: following its containers' });
      setFollowing(true);
      setRound((r) => r + 1);
    },
    (c) => c.kind === 'deployment' && c.project === project && c.environment === env && c.status === 'succeeded',
  );
  return (
    <section aria-labelledby="logs-title" data-runtime-logs>
      <div className="heading-row">
        <h2 id="logs-title">Output of {env}'s containers</h2>
        <span className="actions">
          <label htmlFor="logs-tail">Earlier lines per container</label>
          <select id="logs-tail" value={tail} onChange={(e) => (replay.forget(), setLines([]), setTail(Number(e.target.value)))}>
            {[0, 20, 50].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
          {following && !end && state !== 'ended' ? (
            <button type="button" className="ghost" onClick={() => setFollowing(false)}>
              Stop following
            </button>
          ) : (
            <button type="button" onClick={() => (add({ kind: 'note', line: 'following again' }), setFollowing(true), setRound((r) => r + 1))}>
              Follow again
            </button>
          )}
          <button type="button" className="ghost" onClick={() => setLines([])}>
            Clear
          </button>
        </span>
      </div>
      <ErrorNote error={error} />
      <p className="muted" role="status">
        {end ? `Not following: ${end.reason}${end.replicas > 0 ? ` (${end.replicas} replica${end.replicas === 1 ? '' : 's'})` : ''}.` : !following || state === 'ended' ? 'Not following.' : state === 'open' ? 'Following live.' : state === 'reconnecting' ? 'Connection lost, reconnecting…' : 'Connecting…'}
      </p>
      {lines.length === 0 && <p className="muted">No output yet.</p>}
      <ol className="log" aria-label={`Output of ${env}`}>
        {lines.map((l, i) =>
          l.kind === 'note' ? (
            <li key={i} className="log-info">
              <span className="message">— {l.line} —</span>
            </li>
          ) : (
            <li key={i} className={l.stream === 'stderr' ? 'log-warn' : ''} data-replica={l.replica}>
              <span className="step">{l.replica}</span> <span className="message">{l.line}</span>
            </li>
          ),
        )}
      </ol>
    </section>
  );
}
