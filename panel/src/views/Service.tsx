/**
 * One service: what it is (for a provisioned one: image, digest and when it was last upgraded,
 * limits, volume, health; for a custom one: its scheme, health check and variable names, and that
 * its attachments have no credentials of their own), the environments it is attached to
 * (variable names only, with each one's backup schedule: set it on the environment's Services tab),
 * every backup of it (also those whose attachment is gone, with Remove, and Restore into… one of
 * its current attachments),
 * upgrading a provisioned one's image, and removing it after a confirmation (refused while
 * attached; a provisioned one's data volume deleted too if asked).
 */
import { useState } from 'react';
import { get, path } from '../api';
import { ago, formatBytes } from '../format';
import { href, navigate } from '../router';
import type { ServiceDetail } from '../types';
import { Digest, ErrorNote, Link, Loading, Table } from '../ui/bits';
import { useLoad } from '../ui/hooks';
import { isBackupChange, useServiceChanges } from '../ui/live';
import { AttachmentCells, ScheduleCell, ServiceMode } from './AttachmentBits';
import { RemoveServiceDialog } from './RemoveService';
import { ServiceBackups } from './ServiceBackups';
import { UpgradeService } from './UpgradeService';

export function Service({ ws, name }: { ws: string; name: string }) {
  const url = path('workspaces', ws, 'services', name);
  const detail = useLoad(() => get<ServiceDetail>(url), url);
  const [removing, setRemoving] = useState(false);
  const s = detail.data?.service;
  const attachments = detail.data?.attachments ?? [];
  const upgrades = detail.data?.upgrades ?? [];
  // Its attachments, backups and upgrades are announced on the change stream (a detach also when
  // the sweep finished it, an upgrade when it starts and ends): read again on each.
  // A schedule set or removed, or a scheduled slot's outcome, changes the attachments' schedule column.
  useServiceChanges(detail.reload, (c) => c.name === name && (!isBackupChange(c) || c.change === 'backup-scheduled' || c.change === 'backup-failed'));
  return (
    <section aria-labelledby="service-title">
      <div className="heading-row">
        <h1 id="service-title">Service {name}</h1>
        <button type="button" className="danger" disabled={!s} onClick={() => setRemoving(true)}>
          Remove service
        </button>
      </div>
      {removing && s && (
        <RemoveServiceDialog
          url={url}
          service={s}
          onClose={() => (setRemoving(false), detail.reload())}
          onRemoved={() => navigate(href('w', ws, 'services'))}
        />
      )}
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
              <dt>Last upgraded</dt>
              <dd>{s.provisioned.upgradedAt ? ago(s.provisioned.upgradedAt) : 'never'}</dd>
              <dt>Limits</dt>
              <dd>
                {s.provisioned.memoryBytes !== null ? formatBytes(s.provisioned.memoryBytes) : 'no memory limit'}, {s.provisioned.cpuMillis !== null ? `${s.provisioned.cpuMillis / 1000} CPU` : 'no CPU limit'}
              </dd>
              <dt>Data volume</dt>
              <dd>
                {s.provisioned.volume ? (
                  <>
                    <code>{s.provisioned.volume}</code> on {s.provisioned.placement}
                  </>
                ) : (
                  'none'
                )}
              </dd>
              {s.provisioned.message && (
                <>
                  <dt>Health</dt>
                  <dd>{s.provisioned.message}</dd>
                </>
              )}
            </>
          )}
          {s.custom && (
            <>
              <dt>Attachments get</dt>
              <dd>
                <code>PREFIX_HOST</code>, <code>PREFIX_PORT</code>, <code>PREFIX_URL</code> ({s.custom.scheme}://…); no credentials of their own, nothing to rotate, no backups
              </dd>
              {s.provisioned && (
                <>
                  <dt>Health check</dt>
                  <dd>
                    <code>{s.custom.health}</code>
                    {s.custom.volumePath && (
                      <>
                        , volume at <code>{s.custom.volumePath}</code>
                      </>
                    )}
                  </dd>
                  <dt>Variables</dt>
                  <dd>{s.custom.env.length === 0 ? 'none' : `${s.custom.env.join(', ')} (values never shown)`}</dd>
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
      {s?.provisioned && <UpgradeService url={url} service={s} upgrades={upgrades} onUpgraded={detail.reload} />}
      <h2>Attachments</h2>
      {detail.data && attachments.length === 0 && <p className="muted">Not attached to any environment: attach it from an environment's Services tab.</p>}
      {attachments.length > 0 && (
        <Table caption={`Environments ${name} is attached to`} columns={['Environment', 'As', 'Resource', 'Credentials', 'State', 'Variables', 'Backup schedule']}>
          {attachments.map((a) => (
            <tr key={`${a.project}/${a.environment}/${a.as ?? ''}`} data-attachment={`${a.project}/${a.environment}`}>
              <td>
                <Link to={href('w', ws, 'p', a.project, 'e', a.environment, 'services')}>
                  {a.project} / {a.environment}
                </Link>
              </td>
              <AttachmentCells attachment={a} />
              <td>
                <ScheduleCell schedule={a.schedule} />
              </td>
            </tr>
          ))}
        </Table>
      )}
      {s && s.kind !== 'custom' && <ServiceBackups ws={ws} url={url} name={name} attachments={attachments} />}
    </section>
  );
}
