/**
 * A workspace: its projects (each with its environments in pipeline order), creating one and
 * deleting one (by role: developers create, admins delete), and links to its applications,
 * services, members and tokens, registry credentials, and audit log (and, for owners, its dedicated
 * servers); its tier, changed by owners.
 */
import { useState } from 'react';
import { get, path, post } from '../api';
import { mayCreate, mayManage, mayOwn } from '../access';
import { href } from '../router';
import type { Project, ProjectList } from '../types';
import { ErrorNote, Link, Loading } from '../ui/bits';
import { useLoad } from '../ui/hooks';
import { useWorkspace } from '../ui/workspace';
import { DeleteDialog } from './DeleteDialog';
import { NameForm } from './NameForm';
import { WorkspaceTier } from './WorkspaceTier';

export function WorkspaceHome({ ws }: { ws: string }) {
  const url = path('workspaces', ws, 'projects');
  const { data, error, reload } = useLoad(() => get<ProjectList>(url), ws);
  const workspace = useWorkspace(ws);
  const role = workspace.data?.role;
  const [deleting, setDeleting] = useState<Project | null>(null);
  const [deleted, setDeleted] = useState<string | null>(null);
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
          <Link to={href('w', ws, 'members')} className="button ghost">
            Members &amp; tokens
          </Link>
          <Link to={href('w', ws, 'registries')} className="button ghost">
            Registry credentials
          </Link>
          <Link to={href('w', ws, 'audit')} className="button ghost">
            Audit log
          </Link>
          {mayOwn(role) && (
            <Link to={href('w', ws, 'servers')} className="button ghost">
              Dedicated servers
            </Link>
          )}
        </span>
      </div>
      <h2>Projects</h2>
      <ErrorNote error={error} />
      {!data && !error && <Loading what="projects" />}
      {data && data.projects.length === 0 && <p className="muted">No projects yet{mayCreate(role) ? ': create one below.' : '.'}</p>}
      {deleted && (
        <p className="muted" role="status">
          {deleted}
        </p>
      )}
      <ul className="tiles">
        {data?.projects.map((p) => (
          <li key={p.id} className="card" data-project={p.name}>
            <h3>
              <Link to={href('w', ws, 'p', p.name)}>{p.name}</Link>
            </h3>
            <p className="muted">{p.environments.length ? p.environments.join(' → ') : 'no environments'}</p>
            {mayManage(role) && (
              <div className="actions">
                <button type="button" className="ghost danger" onClick={() => (setDeleted(null), setDeleting(p))}>
                  Delete<span className="sr-only"> project {p.name}</span>
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      {mayCreate(role) && (
        <NameForm
          id="create-project"
          title="Create a project"
          placeholder="web-shop"
          button="Create project"
          busy="Creating…"
          create={async (name) => {
            const p = await post<Project>(url, { name });
            reload();
            return `Created project ${p.name} with environments ${p.environments.join(', ')}.`;
          }}
        >
          <p className="muted small">It gets the default environments of the workspace's tier.</p>
        </NameForm>
      )}
      <WorkspaceTier ws={ws} workspace={workspace} onChanged={reload} />
      {deleting && (
        <DeleteDialog
          kind="project"
          name={deleting.name}
          url={path('workspaces', ws, 'projects', deleting.name)}
          typeName={deleting.environments.length > 0}
          onClose={() => setDeleting(null)}
          onDeleted={(r) => {
            setDeleting(null);
            setDeleted(`Deleted project ${r.deleted}.`);
            reload();
          }}
        >
          <p>
            This stops what runs in {deleting.environments.length ? `its environments (${deleting.environments.join(', ')})` : 'the project'} and deletes them with their releases, config and secrets, its images, pipelines and webhook, as <code>project delete</code> does.
          </p>
        </DeleteDialog>
      )}
    </section>
  );
}
