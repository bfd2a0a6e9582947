/** The workspace's services (adopted servers, provisioned PostgreSQL): what each is, its health and image when Slipway runs it, where it answers, how many environments use it; and adding one. */
import { get, path } from '../api';
import { href } from '../router';
import type { ServiceList } from '../types';
import { ErrorNote, Link, Loading, Table } from '../ui/bits';
import { useLoad } from '../ui/hooks';
import { isBackupChange, useServiceChanges } from '../ui/live';
import { AdoptService } from './AdoptService';
import { ServiceMode } from './AttachmentBits';

export function Services({ ws }: { ws: string }) {
  const url = path('workspaces', ws, 'services');
  const services = useLoad(() => get<ServiceList>(url), url);
  // Any service created, removed, attached or detached (counts), or upgraded (image, health).
  useServiceChanges(services.reload, (c) => !isBackupChange(c));
  const list = services.data?.services ?? [];
  return (
    <section aria-labelledby="services-title">
      <h1 id="services-title">Services of {ws}</h1>
      <ErrorNote error={services.error} />
      {!services.data && !services.error && <Loading what="services" />}
      {services.data && list.length === 0 && <p className="muted">No services yet: add one below.</p>}
      {list.length > 0 && (
        <Table caption={`Services of ${ws} (admin credentials are never shown)`} columns={['Name', 'Kind', 'Mode', 'Address', 'Workloads reach', 'Server', 'Attachments']}>
          {list.map((s) => (
            <tr key={s.name} data-service={s.name}>
              <td>
                <Link to={href('w', ws, 'services', s.name)}>{s.name}</Link>
              </td>
              <td>{s.kind}</td>
              <td>
                <ServiceMode service={s} />
                {s.provisioned && (
                  <div className="muted small">
                    <code title={s.provisioned.image}>{s.provisioned.image.replace(/@sha256:[0-9a-f]+$/, '')}</code>
                  </div>
                )}
              </td>
              <td>
                <code>{s.address}</code>
              </td>
              <td>
                <code>{s.workloadAddress}</code>
              </td>
              <td>{s.serverVersion ?? '—'}</td>
              <td>{s.attachments}</td>
            </tr>
          ))}
        </Table>
      )}
      <AdoptService ws={ws} onAdopted={services.reload} />
    </section>
  );
}
