/**
 * The schedules of a project's manifest (`pipeline schedules`): each pipeline's cron (UTC) and
 * environment, when its next slot is, and what its last slot did (a run started, queued or
 * coalesced, with a link; missed while the server was down; failed, with why). Schedules are
 * changed in the manifest; here each one is paused and resumed (`pipeline pause|resume NAME -e
 * ENV`): a paused one runs no slot, a resumed one starts from its next slot.
 */
import { patch, path } from '../api';
import { relative } from '../format';
import { href } from '../router';
import type { Loaded } from '../ui/hooks';
import type { PipelineScheduleInfo, PipelineScheduleList } from '../types';
import { Badge, ErrorNote, Link, Table } from '../ui/bits';
import { useAction } from '../ui/hooks';

const at = (iso: string) => (
  <time dateTime={iso} title={new Date(iso).toLocaleString()}>
    {relative(iso)}
  </time>
);

const tone = { started: 'ok', queued: 'info', coalesced: 'info', missed: 'warn', failed: 'bad' } as const;

function Last({ ws, last }: { ws: string; last: PipelineScheduleInfo['last'] }) {
  if (!last) return <span className="muted">not run yet</span>;
  return (
    <>
      {at(last.slotAt)} {last.outcome ? <Badge tone={tone[last.outcome]}>{last.outcome}</Badge> : <Badge tone="muted">triggering</Badge>}
      {last.runId && (
        <>
          {' '}
          <Link to={href('w', ws, 'runs', last.runId)}>{last.runId}</Link>
        </>
      )}
      {last.error && <div className="muted">{last.error}</div>}
    </>
  );
}

export function PipelineSchedules({ ws, project, schedules }: { ws: string; project: string; schedules: Loaded<PipelineScheduleList> }) {
  const list = schedules.data?.schedules ?? [];
  const action = useAction();
  const toggle = async (s: PipelineScheduleInfo) => {
    await action.run(() => patch<PipelineScheduleList>(`${path('workspaces', ws, 'projects', project, 'pipelines', s.pipeline)}/schedules`, { paused: s.paused === null, environment: s.environment }));
    schedules.reload();
  };
  return (
    <section aria-labelledby="schedules-title">
      <h2 id="schedules-title">Schedules</h2>
      <ErrorNote error={schedules.error} />
      <ErrorNote error={action.error} />
      {schedules.data && list.length === 0 && (
        <p className="muted">
          No schedules. A pipeline runs by itself when the manifest gives it <code>schedules:</code> (a cron in UTC and an environment).
        </p>
      )}
      {list.length > 0 && (
        <Table caption="Schedules of the manifest" columns={['Pipeline', 'Environment', 'Cron (UTC)', 'Next', 'Last slot', '']}>
          {list.map((s) => (
            <tr key={`${s.pipeline} ${s.environment} ${s.cron}`} data-schedule={`${s.pipeline}@${s.environment}`}>
              <td>{s.pipeline}</td>
              <td>{s.environment}</td>
              <td>
                <code>{s.cron}</code>
              </td>
              <td>
                {s.paused ? (
                  <>
                    <Badge tone="warn">paused</Badge> {at(s.paused.at)}
                    {s.paused.by ? ` by ${s.paused.by}` : ''}
                  </>
                ) : (
                  at(s.nextAt)
                )}
              </td>
              <td>
                <Last ws={ws} last={s.last} />
              </td>
              <td>
                <button type="button" className="ghost" onClick={() => void toggle(s)} disabled={action.busy}>
                  {s.paused ? 'Resume' : 'Pause'}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
