/**
 * A project's environments as `env list` shows them (kind, whether the tier lets it go), adding
 * one (`env create`: developers; a custom one needs the high or business tier) and deleting one
 * that is not a tier default (`env delete`: admins), after its name is typed again.
 */
import { useState } from 'react';
import { get, path, post } from '../api';
import { mayCreate, mayManage } from '../access';
import type { Environment, EnvironmentList } from '../types';
import { Badge, ErrorNote, Table } from '../ui/bits';
import { useLoad } from '../ui/hooks';
import { useWorkspace } from '../ui/workspace';
import { DeleteDialog } from './DeleteDialog';
import { NameForm } from './NameForm';

export function ProjectEnvironments({ ws, project, onChanged }: { ws: string; project: string; onChanged(): void }) {
  const url = path('workspaces', ws, 'projects', project, 'environments');
  const envs = useLoad(() => get<EnvironmentList>(url), url);
  const workspace = useWorkspace(ws).data;
  const [deleting, setDeleting] = useState<Environment | null>(null);
  const [deleted, setDeleted] = useState<string | null>(null);
  const changed = () => {
    envs.reload();
    onChanged();
  };
  const list = envs.data?.environments ?? [];
  return (
    <section className="panel-section" aria-labelledby="environments-title">
      <h2 id="environments-title">Environments</h2>
      <ErrorNote error={envs.error} />
      {deleted && (
        <p className="muted" role="status">
          {deleted}
        </p>
      )}
      {list.length > 0 && (
        <Table caption={`Environments of ${project}`} columns={['Name', 'Kind', '']}>
          {list.map((e) => (
            <tr key={e.name} data-environment-row={e.name}>
              <td>{e.name}</td>
              <td>
                <Badge tone="muted">{e.kind}</Badge>{' '}
                {!e.deletable && <Badge tone="info">tier default</Badge>}
              </td>
              <td>
                {mayManage(workspace?.role) && e.deletable && (
                  <button type="button" className="ghost danger" onClick={() => (setDeleted(null), setDeleting(e))}>
                    Delete<span className="sr-only"> environment {e.name}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      {mayCreate(workspace?.role) && (
        <NameForm
          id="add-environment"
          title="Add an environment"
          placeholder="qa"
          button="Add environment"
          busy="Adding…"
          create={async (name) => {
            const e = await post<Environment>(url, { name });
            changed();
            return `Created ${e.kind} environment ${e.name}.`;
          }}
        >
          <p className="muted small">A name that is not a default of the tier makes a custom environment: the high and business tiers only.</p>
        </NameForm>
      )}
      {deleting && (
        <DeleteDialog
          kind="environment"
          name={deleting.name}
          url={`${url}/${encodeURIComponent(deleting.name)}`}
          onClose={() => setDeleting(null)}
          onDeleted={(r) => {
            setDeleting(null);
            setDeleted(`Deleted environment ${r.deleted}.`);
            changed();
          }}
        >
          <p>
            This stops the containers of {project}/{deleting.name} and removes its route, then deletes its releases, config and secrets, as <code>env delete</code> does. Attached services keep their data (its credentials are revoked).
          </p>
        </DeleteDialog>
      )}
    </section>
  );
}
