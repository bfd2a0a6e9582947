/**
 * A project's promotion pipeline: its environments side by side in pipeline order, what runs in
 * each, where one differs from its upstream neighbour, and the one action that moves a version
 * forward. Refreshes itself when a deploy or promotion of the project changes state.
 */
import { useState } from 'react';
import { get, path } from '../api';
import { ago } from '../format';
import { href } from '../router';
import type { EnvironmentStatus, HookStatus, ProjectStatus, Promotion, PromotionList } from '../types';
import { Badge, Digest, ErrorNote, Link, Loading, StatusBadge } from '../ui/bits';
import { useLoad } from '../ui/hooks';
import { useChanges } from '../ui/live';
import { Approvals } from './Approvals';
import { GitSource } from './GitSource';
import { PromoteDialog } from './PromoteDialog';
import { Webhook } from './Webhook';
import { HealthGateState } from './Gates';
import { ProjectEnvironments } from './ProjectEnvironments';

interface PipelineData {
  environments: EnvironmentStatus[];
  promotions: Promotion[];
  hook: HookStatus | null;
}

export function Pipeline({ ws, project }: { ws: string; project: string }) {
  const base = path('workspaces', ws, 'projects', project);
  const state = useLoad(async (): Promise<PipelineData> => {
    const [status, promotions, hook] = await Promise.all([get<ProjectStatus>(`${base}/status`), get<PromotionList>(`${base}/promotions`, { status: 'pending-approval', limit: 500 }), get<HookStatus>(`${base}/hook`).catch(() => null)]);
    return { environments: status.environments, promotions: promotions.promotions, hook };
  }, base);
  useChanges(state.reload, (c) => c.project === project);
  const [promoting, setPromoting] = useState<{ from: string; to: string } | null>(null);
  const { data, error } = state;
  // Branch and preview environments are not steps of the promotion pipeline: listed apart.
  const following = new Set(data?.hook?.environments.map((e) => e.name) ?? []);
  const pipeline = data?.environments.filter((e) => !following.has(e.name)) ?? [];
  const followers = data?.environments.filter((e) => following.has(e.name)) ?? [];
  return (
    <section aria-labelledby="pipeline-title">
      <div className="heading-row">
        <h1 id="pipeline-title">{project}</h1>
        <Link to={href('w', ws, 'p', project, 'images')} className="button ghost">
          Images
        </Link>
        <Link to={href('w', ws, 'p', project, 'pipelines')} className="button ghost">
          Pipelines
        </Link>
        <Link to={href('w', ws, 'p', project, 'config')} className="button ghost">
          Base config
        </Link>
      </div>
      <ErrorNote error={error} />
      {!data && !error && <Loading what="the pipeline" />}
      {data && data.environments.length === 0 && <p className="muted">This project has no environments.</p>}
      {data && (
        <>
          <ol className="pipeline" aria-label="Environments in promotion order">
            {pipeline.map((env, i) => (
              <EnvCard
                key={env.name}
                ws={ws}
                project={project}
                env={env}
                upstream={pipeline[i - 1]}
                next={pipeline[i + 1]}
                pending={data.promotions.filter((p) => p.to === env.name && p.status === 'pending-approval')}
                onPromote={(to) => setPromoting({ from: env.name, to })}
              />
            ))}
          </ol>
          {followers.length > 0 && (
            <>
              <h2>Branch and preview environments</h2>
              <ol className="pipeline" aria-label="Branch and preview environments">
                {followers.map((env) => (
                  <EnvCard key={env.name} ws={ws} project={project} env={env} upstream={undefined} next={undefined} pending={data.promotions.filter((p) => p.to === env.name && p.status === 'pending-approval')} onPromote={() => undefined} />
                ))}
              </ol>
            </>
          )}
          <Approvals ws={ws} project={project} promotions={data.promotions} onDecided={state.reload} />
          <GitSource ws={ws} project={project} onBuilt={state.reload} />
          <Webhook ws={ws} project={project} hook={data.hook} onChanged={state.reload} />
          <ProjectEnvironments ws={ws} project={project} onChanged={state.reload} />
        </>
      )}
      {promoting && <PromoteDialog ws={ws} project={project} from={promoting.from} to={promoting.to} onClose={() => setPromoting(null)} onDone={state.reload} />}
    </section>
  );
}

function EnvCard(props: { ws: string; project: string; env: EnvironmentStatus; upstream: EnvironmentStatus | undefined; next: EnvironmentStatus | undefined; pending: Promotion[]; onPromote(to: string): void }) {
  const { ws, project, env, upstream, next, pending } = props;
  const r = env.release;
  const differs = upstream?.release && r && upstream.release.imageDigest !== r.imageDigest;
  const behind = upstream?.release && !r;
  const envHref = href('w', ws, 'p', project, 'e', env.name);
  return (
    <li className="env card" aria-labelledby={`env-${env.name}`} data-environment={env.name}>
      <header className="env-head">
        <h2 id={`env-${env.name}`}>
          <Link to={envHref}>{env.name}</Link>
        </h2>
        <StatusBadge status={env.health} />
      </header>
      <p className="domain muted">{env.domain}</p>
      {r ? (
        <dl className="facts">
          <dt>Version</dt>
          <dd className="version">{r.version ?? 'untagged'}</dd>
          <dt>Digest</dt>
          <dd>
            <Digest digest={r.imageDigest} />
          </dd>
          <dt>Release</dt>
          <dd>
            <Link to={envHref}>#{r.number}</Link> · config v{r.configVersion}
          </dd>
          <dt>Replicas</dt>
          <dd>
            {env.replicas.ready}/{env.replicas.desired} ready
          </dd>
          <dt>Deployed</dt>
          <dd>
            <time dateTime={r.finishedAt ?? undefined} title={r.finishedAt ?? undefined}>
              {ago(r.finishedAt)}
            </time>
            {r.actor ? ` by ${r.actor}` : ''}
            {r.trigger ? ` (${r.trigger})` : ''}
          </dd>
        </dl>
      ) : (
        <p className="muted">Nothing deployed yet.</p>
      )}
      <p className="badges">
        {differs && upstream && (
          <Badge tone="warn" title={`${env.name} runs a different image than ${upstream.name}`}>
            differs from {upstream.name}
          </Badge>
        )}
        {behind && upstream && <Badge tone="warn">{upstream.name} has a release, this has none</Badge>}
        {pending.length > 0 && <Badge tone="warn">{pending.length === 1 ? 'promotion waits for approval' : `${pending.length} promotions wait for approval`}</Badge>}
      </p>
      {env.deploying && (
        <p className="deploying">
          <StatusBadge status={env.deploying.status} /> release #{env.deploying.releaseNumber}, {env.deploying.phase} ·{' '}
          <Link to={href('w', ws, 'deployments', env.deploying.id)}>watch the live log</Link>
        </p>
      )}
      {env.healthGate && env.healthGate.status !== 'cancelled' && (
        <p className="gate-line">
          <HealthGateState gate={env.healthGate} />
        </p>
      )}
      <div className="actions">
        <Link to={envHref} className="button ghost">
          Releases
        </Link>
        <Link to={`${envHref}/config`} className="button ghost">
          Config
        </Link>
        {next && (
          <button type="button" onClick={() => props.onPromote(next.name)} disabled={!r} title={r ? undefined : `deploy to ${env.name} first`}>
            Promote to {next.name} →
          </button>
        )}
      </div>
    </li>
  );
}
