/** The workspace's applications: each with its source and latest version; and making one (from a project, or an upstream repository). */
import { useState, type FormEvent } from 'react';
import { get, path, post } from '../api';
import { href, navigate } from '../router';
import type { Application, ApplicationList, CreateApplicationBody, ProjectList } from '../types';
import { ErrorNote, Link, Loading, Table } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';

export function Applications({ ws }: { ws: string }) {
  const url = path('workspaces', ws, 'applications');
  const apps = useLoad(() => get<ApplicationList>(url), url);
  const list = apps.data?.applications ?? [];
  return (
    <section aria-labelledby="apps-title">
      <h1 id="apps-title">Applications of {ws}</h1>
      <p className="muted">An application is a versioned product run for many customers: its versions are the semver tags of a project, or of an upstream repository Slipway watches.</p>
      <ErrorNote error={apps.error} />
      {!apps.data && !apps.error && <Loading what="applications" />}
      {apps.data && list.length === 0 && <p className="muted">No applications yet: make one below.</p>}
      {list.length > 0 && (
        <Table caption={`Applications of ${ws}`} columns={['Name', 'Source', 'Latest', 'Versions', 'Last poll']}>
          {list.map((a) => (
            <tr key={a.name} data-application={a.name}>
              <td>
                <Link to={href('w', ws, 'apps', a.name)}>{a.name}</Link>
              </td>
              <td>{a.source === 'upstream' ? <code>{a.upstream}</code> : `project ${a.project}`}</td>
              <td>{a.latest ?? '—'}</td>
              <td>{a.versions}</td>
              <td>{a.source === 'upstream' ? (a.lastError ? <span className="bad">failed</span> : (a.lastPolledAt ?? 'never')) : '—'}</td>
            </tr>
          ))}
        </Table>
      )}
      <CreateApplication ws={ws} onCreated={(a) => navigate(href('w', ws, 'apps', a.name))} />
    </section>
  );
}

function CreateApplication({ ws, onCreated }: { ws: string; onCreated(a: Application): void }) {
  const projects = useLoad(() => get<ProjectList>(path('workspaces', ws, 'projects')), `${ws}-projects`);
  const [name, setName] = useState('');
  const [source, setSource] = useState<'project' | 'upstream'>('project');
  const [project, setProject] = useState('');
  const [upstream, setUpstream] = useState('');
  const [poll, setPoll] = useState('');
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body: CreateApplicationBody =
      source === 'project' ? { name: name.trim(), fromProject: project || (projects.data?.projects[0]?.name ?? '') } : { name: name.trim(), upstream: upstream.trim(), ...(poll.trim() ? { pollSeconds: Number(poll) } : {}) };
    const r = await action.run(() => post<Application>(path('workspaces', ws, 'applications'), body));
    if (r) onCreated(r);
  };
  return (
    <form onSubmit={submit} className="card form" aria-labelledby="create-app-title" autoComplete="off">
      <h2 id="create-app-title">Make an application</h2>
      <div>
        <label htmlFor="app-name">Name</label>
        <input id="app-name" value={name} onChange={(e) => setName(e.target.value)} required spellCheck={false} placeholder="shop" />
      </div>
      <fieldset className="choice">
        <legend>Versions from</legend>
        <label className="check">
          <input type="radio" name="app-source" checked={source === 'project'} onChange={() => setSource('project')} /> a project of this workspace
        </label>
        <label className="check">
          <input type="radio" name="app-source" checked={source === 'upstream'} onChange={() => setSource('upstream')} /> an upstream repository
        </label>
      </fieldset>
      {source === 'project' ? (
        <div>
          <label htmlFor="app-project">Project</label>
          <select id="app-project" value={project} onChange={(e) => setProject(e.target.value)}>
            {projects.data?.projects.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
      ) : (
        <>
          <div>
            <label htmlFor="app-upstream">Repository (no tag)</label>
            <input id="app-upstream" value={upstream} onChange={(e) => setUpstream(e.target.value)} required spellCheck={false} placeholder="registry.example.com/vendor/shop" />
          </div>
          <div>
            <label htmlFor="app-poll">Poll every (seconds, default 300)</label>
            <input id="app-poll" value={poll} onChange={(e) => setPoll(e.target.value)} inputMode="numeric" placeholder="300" />
          </div>
          <p className="muted small">
            A registry that needs a login uses the workspace's <Link to={href('w', ws, 'registries')}>registry credentials</Link>.
          </p>
        </>
      )}
      <ErrorNote error={action.error} />
      <button type="submit" disabled={action.busy}>
        {action.busy ? 'Making…' : 'Make application'}
      </button>
    </form>
  );
}
