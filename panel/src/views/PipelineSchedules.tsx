/**
 * The schedules of a project's manifest (`pipeline schedules`): each pipeline's cron (UTC) and
 * environment, when its next slot is, and what its last slot did (a run started, queued or
 * coalesced, with a link; missed while the server was down; failed, with why). Schedules are
 * changed in the manifest, not here.
 */
import { relative } from '../format';
import { href } from '../router';
import type { Loaded } from '../ui/hooks';
import type { PipelineScheduleInfo, PipelineScheduleList } from '../types';
import { Badge, ErrorNote, Link, Table } from '../ui/bits';

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

export function PipelineSchedules({ ws, schedules }: { ws: string; schedules: Loaded<PipelineScheduleList> }) {
  const list = schedules.data?.schedules ?? [];
  return (
    <section aria-labelledby="schedules-title">
      <h2 id="schedules-title">Schedules</h2>
      <ErrorNote error={schedules.error} />
      {schedules.data && list.length === 0 && (
        <p className="muted">
          No schedules. A pipeline runs by itself when the manifest gives it <code>schedules:</code> (a cron in UTC and an environment).
        </p>
      )}
      {list.length > 0 && (
        <Table caption="Schedules of the manifest" columns={['Pipeline', 'Environment', 'Cron (UTC)', 'Next', 'Last slot']}>
          {list.map((s) => (
            <tr key={`${s.pipeline} ${s.environment} ${s.cron}`} data-schedule={`${s.pipeline}@${s.environment}`}>
              <td>{s.pipeline}</td>
              <td>{s.environment}</td>
              <td>
                <code>{s.cron}</code>
              </td>
              <td>{at(s.nextAt)}</td>
              <td>
                <Last ws={ws} last={s.last} />
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
