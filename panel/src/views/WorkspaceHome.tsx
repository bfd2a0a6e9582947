/** A workspace: its projects (each with its environments in pipeline order), its applications, its services and the audit log. */
import { get, path } from '../api';
import { href } from '../router';
import type { ProjectList } from '../types';
import { ErrorNote, Link, Loading } from '../ui/bits';
import { useLoad } from '../ui/hooks';

export function WorkspaceHome({ ws }: { ws: string }) {
  const { data, error } = useLoad(() => get<ProjectList>(path('workspaces', ws, 'projects')), ws);
  return (
    <section>
      <div className="heading-row">
        <h1>{ws}</h1>
        <span className="actions">
          <Link to={href('w', ws, 'apps')} className="button ghost">
            Applications
          </Link>
          <Link to={href('w', ws, 'services')} className="button ghost">
            Services
          </Link>
          <Link to={href('w', ws, 'audit')} className="button ghost">
            Audit log
          </Link>
        </span>
      </div>
      <h2>Projects</h2>
      <ErrorNote error={error} />
      {!data && !error && <Loading what="projects" />}
      {data && data.projects.length === 0 && (
        <p className="muted">
          No projects yet: <code>slipway projects create NAME -w {ws}</code>
        </p>
      )}
      <ul className="tiles">
        {data?.projects.map((p) => (
          <li key={p.id} className="card">
            <h3>
              <Link to={href('w', ws, 'p', p.name)}>{p.name}</Link>
            </h3>
            <p className="muted">{p.environments.length ? p.environments.join(' → ') : 'no environments'}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}
