/** One service: what it is (for a provisioned one: image, digest, limits, volume, health), the environments it is attached to (variable names only), and removing it (refused while attached). */
import { del, get, path } from '../api';
import { ago, formatBytes } from '../format';
import { href, navigate } from '../router';
import type { ServiceDetail } from '../types';
import { Digest, ErrorNote, Link, Loading, Table } from '../ui/bits';
import { useAction, useLoad, usePoll } from '../ui/hooks';
import { AttachmentCells, ServiceMode } from './AttachmentBits';

export function Service({ ws, name }: { ws: string; name: string }) {
  const url = path('workspaces', ws, 'services', name);
  const detail = useLoad(() => get<ServiceDetail>(url), url);
  const remove = useAction();
  const s = detail.data?.service;
  const attachments = detail.data?.attachments ?? [];
  usePoll(detail.reload, attachments.some((a) => a.state === 'detaching'));
  const onRemove = async () => {
    const r = await remove.run(() => del(url));
    if (r) navigate(href('w', ws, 'services'));
    else detail.reload();
  };
  return (
    <section aria-labelledby="service-title">
      <div className="heading-row">
        <h1 id="service-title">Service {name}</h1>
        <button type="button" className="danger" disabled={remove.busy || !s} onClick={() => void onRemove()}>
          Remove service
        </button>
      </div>
      <ErrorNote error={remove.error} />
      <ErrorNote error={detail.error} />
      {!detail.data && !detail.error && <Loading what="the service" />}
      {s && (
        <dl className="card facts">
          <dt>Kind</dt>
          <dd>{s.kind}</dd>
          <dt>Mode</dt>
          <dd>
            <ServiceMode service={s} />
          </dd>
          {s.provisioned && (
            <>
              <dt>Image</dt>
              <dd>
                <code>{s.provisioned.image}</code> <Digest digest={s.provisioned.imageDigest} />
              </dd>
              <dt>Limits</dt>
              <dd>
                {s.provisioned.memoryBytes !== null ? formatBytes(s.provisioned.memoryBytes) : 'no memory limit'}, {s.provisioned.cpuMillis !== null ? `${s.provisioned.cpuMillis / 1000} CPU` : 'no CPU limit'}
              </dd>
              <dt>Data volume</dt>
              <dd>
                <code>{s.provisioned.volume}</code> on {s.provisioned.placement}
              </dd>
              {s.provisioned.message && (
                <>
                  <dt>Health</dt>
                  <dd>{s.provisioned.message}</dd>
                </>
              )}
            </>
          )}
          <dt>Address</dt>
          <dd>
            <code>{s.address}</code>
          </dd>
          <dt>Workloads reach it at</dt>
          <dd>
            <code>{s.workloadAddress}</code>
          </dd>
          <dt>Server version</dt>
          <dd>{s.serverVersion ?? '—'}</dd>
          <dt>{s.mode === 'provisioned' ? 'Created' : 'Adopted'}</dt>
          <dd>{ago(s.createdAt)}</dd>
        </dl>
      )}
      <h2>Attachments</h2>
      {detail.data && attachments.length === 0 && <p className="muted">Not attached to any environment: attach it from an environment's Services tab.</p>}
      {attachments.length > 0 && (
        <Table caption={`Environments ${name} is attached to`} columns={['Environment', 'As', 'Resource', 'Credentials', 'State', 'Variables']}>
          {attachments.map((a) => (
            <tr key={`${a.project}/${a.environment}/${a.as ?? ''}`} data-attachment={`${a.project}/${a.environment}`}>
              <td>
                <Link to={href('w', ws, 'p', a.project, 'e', a.environment, 'services')}>
                  {a.project} / {a.environment}
                </Link>
              </td>
              <AttachmentCells attachment={a} />
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
