/** The workspaces this token reaches. */
import { get } from '../api';
import { href } from '../router';
import type { WorkspaceList } from '../types';
import { Badge, ErrorNote, Link, Loading } from '../ui/bits';
import { useLoad } from '../ui/hooks';

export function Workspaces() {
  const { data, error } = useLoad(() => get<WorkspaceList>('workspaces'), 'workspaces');
  return (
    <section>
      <h1>Workspaces</h1>
      <ErrorNote error={error} />
      {!data && !error && <Loading what="workspaces" />}
      {data && data.workspaces.length === 0 && <p className="muted">This token reaches no workspace yet.</p>}
      <ul className="tiles">
        {data?.workspaces.map((w) => (
          <li key={w.id} className="card">
            <h2>
              <Link to={href('w', w.name)}>{w.name}</Link>
            </h2>
            <p>
              <Badge tone="muted">tier {w.tier}</Badge> <Badge tone="info">your role: {w.role}</Badge>
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
