/** The workspaces this token reaches, and creating one (an instance admin's instance token only). */
import { get } from '../api';
import { href } from '../router';
import type { WorkspaceList } from '../types';
import { Badge, ErrorNote, Link, Loading } from '../ui/bits';
import { useLoad } from '../ui/hooks';
import { CreateWorkspace } from './CreateWorkspace';

export function Workspaces({ admin }: { admin: boolean }) {
  const { data, error, reload } = useLoad(() => get<WorkspaceList>('workspaces'), 'workspaces');
  return (
    <section>
      <h1>Workspaces</h1>
      <ErrorNote error={error} />
      {!data && !error && <Loading what="workspaces" />}
      {data && data.workspaces.length === 0 && <p className="muted">This token reaches no workspace yet{admin ? ': create one below.' : '.'}</p>}
      <ul className="tiles">
        {data?.workspaces.map((w) => (
          <li key={w.id} className="card" data-workspace={w.name}>
            <h2>
              <Link to={href('w', w.name)}>{w.name}</Link>
            </h2>
            <p>
              <Badge tone="muted">tier {w.tier}</Badge> <Badge tone="info">your role: {w.role}</Badge>
            </p>
          </li>
        ))}
      </ul>
      {admin && <CreateWorkspace onCreated={reload} />}
    </section>
  );
}
