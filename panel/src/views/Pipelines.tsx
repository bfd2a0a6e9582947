/**
 * A project's pipelines (from its manifest, slipway.yaml, applied here or from git): each with a
 * Run button per environment (each job with its image, timeout and the volumes it mounts), and
 * the project's runs (release steps too) with their status and jobs, a Cancel
 * button while one waits or runs, and the manifest's schedules with their next and last slot; whether
 * the manifest is reviewed for the environments that require approval (an admin or owner reviews it
 * here). The
 * list refreshes every two seconds while a run is unfinished (runs are not on the workspace change
 * stream), and every minute for the schedules' slots; a run's page follows its log live.
 */
import { useCallback, useState } from 'react';
import { get, path, post } from '../api';
import { ago } from '../format';
import { jobLine } from '../pipeline-jobs';
import { href } from '../router';
import type { PipelineRunInfo, PipelineScheduleList, Project, ProjectManifest, RunList, RunTriggered } from '../types';
import { Badge, Digest, ErrorNote, Link, Loading, StatusBadge, Table } from '../ui/bits';
import { useAction, useLoad, usePoll } from '../ui/hooks';
import { ShowMore, useShowMore } from '../ui/more';
import { ManifestApply } from './ManifestApply';
import { ManifestReview } from './ManifestReview';
import { PipelineSchedules } from './PipelineSchedules';

const outcomeText: Record<RunTriggered['outcome'], string> = {
  started: 'started',
  queued: 'queued behind the run in flight',
  coalesced: 'coalesced into the run already waiting',
};

export function Pipelines({ ws, project }: { ws: string; project: string }) {
  const base = path('workspaces', ws, 'projects', project);
  const manifest = useLoad(() => get<ProjectManifest>(`${base}/manifest`), `${base}/manifest`);
  const described = useLoad(() => get<Project>(base), base);
  // The runs' filters and Show more, as `pipeline runs -e ENV --pipeline NAME --limit N`.
  const [runEnv, setRunEnv] = useState('');
  const [runPipeline, setRunPipeline] = useState('');
  const runsUrl = `${base}/pipeline-runs`;
  const more = useShowMore(50, 200, `${runsUrl}?${runEnv}&${runPipeline}`);
  const runs = useLoad(
    () => get<RunList>(runsUrl, { environment: runEnv || undefined, pipeline: runPipeline || undefined, limit: more.limit }),
    `${runsUrl}?environment=${runEnv}&pipeline=${runPipeline}&limit=${more.limit}`,
    `${runsUrl}?environment=${runEnv}&pipeline=${runPipeline}`,
  );
  const unfinished = (runs.data?.runs ?? []).some((r) => r.status === 'queued' || r.status === 'running');
  usePoll(runs.reload, unfinished);
  const schedules = useLoad(() => get<PipelineScheduleList>(`${base}/pipeline-schedules`), `${base}/pipeline-schedules`);
  const scheduled = (schedules.data?.schedules.length ?? 0) > 0;
  // A slot that came due runs a pipeline: the schedules and the runs are read again each minute.
  const reloadSchedules = schedules.reload;
  const reloadRuns = runs.reload;
  usePoll(useCallback(() => (reloadSchedules(), reloadRuns()), [reloadSchedules, reloadRuns]), scheduled, 60_000);
  const action = useAction();
  const [said, setSaid] = useState<string | null>(null);
  const environments = described.data?.environments ?? [];
  const [env, setEnv] = useState<string>('');
  const target = env || environments[0] || '';

  const trigger = async (pipeline: string) => {
    setSaid(null);
    const r = await action.run(() => post<RunTriggered>(`${base}/environments/${encodeURIComponent(target)}/pipelines/${encodeURIComponent(pipeline)}/runs`, {}));
    if (r) setSaid(`Run ${r.run.id} of ${pipeline} on ${target} ${outcomeText[r.outcome]}.`);
    runs.reload();
  };
  const cancel = async (run: PipelineRunInfo) => {
    await action.run(() => post<PipelineRunInfo>(`${path('workspaces', ws, 'pipeline-runs', run.id)}/cancel`));
    runs.reload();
  };
  const noManifest = manifest.data?.applied === false;

  return (
    <section aria-labelledby="pipelines-title">
      <div className="heading-row">
        <h1 id="pipelines-title">Pipelines of {project}</h1>
        <Link to={href('w', ws, 'p', project)} className="button ghost">
          Environments
        </Link>
      </div>
      {noManifest && <p className="muted">No manifest yet: apply one below to declare pipelines, a release step and gates.</p>}
      <ErrorNote error={manifest.error} />
      <ErrorNote error={action.error} />
      {said && (
        <p role="status" className="note">
          {said}
        </p>
      )}
      {!manifest.data && !manifest.error && <Loading what="the manifest" />}
      {manifest.data?.applied && (
        <>
          <p className="muted">
            Manifest applied {manifest.data.appliedAt ? ago(manifest.data.appliedAt) : ''}
            {manifest.data.appliedBy ? ` by ${manifest.data.appliedBy}` : ''} ({manifest.data.source}
            {manifest.data.commit ? ` ${manifest.data.commit.slice(0, 12)}` : ''}).{' '}
            {manifest.data.release ? `Release step: ${manifest.data.release.map(jobLine).join(' → ')} (runs before every switch).` : 'No release step.'}
          </p>
          <ManifestReview ws={ws} url={`${base}/manifest`} manifest={manifest.data} onReviewed={manifest.reload} />
          <label>
            Run against{' '}
            <select aria-label="Environment to run against" value={target} onChange={(e) => setEnv(e.target.value)}>
              {environments.map((e) => (
                <option key={e} value={e}>
                  {e}
                </option>
              ))}
            </select>
          </label>
          <Table caption="Pipelines" columns={['Pipeline', 'Jobs', '']}>
            {manifest.data.pipelines.map((p) => (
              <tr key={p.name} data-pipeline={p.name}>
                <td>{p.name}</td>
                <td>{p.jobs.map(jobLine).join(' → ')}</td>
                <td>
                  <button type="button" onClick={() => void trigger(p.name)} disabled={action.busy || !target}>
                    Run {p.name}
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        </>
      )}
      {manifest.data?.applied && <PipelineSchedules ws={ws} project={project} schedules={schedules} />}
      <ManifestApply url={`${base}/manifest`} current={manifest.data} onApplied={() => (manifest.reload(), schedules.reload())} />
      <div className="heading-row">
        <h2>Runs</h2>
        <span className="actions">
          <label>
            Environment{' '}
            <select aria-label="Runs against environment" value={runEnv} onChange={(e) => setRunEnv(e.target.value)}>
              <option value="">any</option>
              {environments.map((e) => (
                <option key={e} value={e}>
                  {e}
                </option>
              ))}
            </select>
          </label>{' '}
          <label>
            Pipeline{' '}
            <select aria-label="Runs of pipeline" value={runPipeline} onChange={(e) => setRunPipeline(e.target.value)}>
              <option value="">any</option>
              {(manifest.data?.pipelines ?? []).map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
              <option value=":release">release step</option>
            </select>
          </label>
        </span>
      </div>
      <ErrorNote error={runs.error} />
      {!runs.data && !runs.error && <Loading what="runs" />}
      {runs.data && runs.data.runs.length === 0 && <p className="muted">{runEnv || runPipeline ? 'No run matches these filters.' : 'No runs yet.'}</p>}
      {runs.data && runs.data.runs.length > 0 && (
        <Table caption="Runs, newest first" columns={['Run', 'Pipeline', 'Environment', 'Status', 'Jobs', 'Image', 'Trigger', 'Created', '']}>
          {runs.data.runs.map((r) => (
            <tr key={r.id} data-run={r.id} data-status={r.status}>
              <td>
                <Link to={href('w', ws, 'runs', r.id)}>{r.id}</Link>
              </td>
              <td>{r.pipeline === ':release' ? <Badge tone="info">release step</Badge> : r.pipeline}</td>
              <td>{r.environment}</td>
              <td>
                <StatusBadge status={r.status} />
                {r.error && <div className="muted">{r.error}</div>}
              </td>
              <td>{r.jobs.map((j) => `${j.name}: ${j.status}${j.exitCode === null ? '' : ` (${j.exitCode})`}`).join(', ')}</td>
              <td>
                <Digest digest={r.imageDigest || null} />
              </td>
              <td>
                {r.trigger.kind}
                {r.trigger.by ? ` · ${r.trigger.by}` : ''}
              </td>
              <td>{ago(r.createdAt)}</td>
              <td>
                {(r.status === 'queued' || r.status === 'running') && !r.cancelRequested && (
                  <button type="button" className="ghost" onClick={() => void cancel(r)} disabled={action.busy}>
                    Cancel
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      <ShowMore more={more} shown={runs.data?.runs.length} what="runs" loading={runs.loading} />
    </section>
  );
}
