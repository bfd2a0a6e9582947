/**
 * Restoring a volume from one of its backups (`slipway volume restore`): a dialog that says what
 * happens — the live volume is not written, the backup is unpacked into a new generation of the
 * volume and a new release that mounts it rolls out, the generation before kept — and, after, a
 * note that says what was done and follows the release it rolled (its state from the change
 * stream, and a link to its live log), as a config change's rolled release is shown.
 */
import { useState } from 'react';
import { get, path, post } from '../api';
import { ago, formatBytes } from '../format';
import { href } from '../router';
import type { DeploymentInProject, EnvironmentSettingsView, VolumeBackupInfo, VolumeRestoreInfo } from '../types';
import { Link, StatusBadge } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { useLoad } from '../ui/hooks';
import { useChanges } from '../ui/live';
import { restoredText } from '../volume-backups';

type Volume = EnvironmentSettingsView['volumes'][number];

export function VolumeRestoreDialog({ url, env, volume, backup: b, onClose, onRestored }: { url: string; env: string; volume: Volume; backup: VolumeBackupInfo; onClose(): void; onRestored(r: VolumeRestoreInfo): void }) {
  return (
    <ConfirmDialog title={`Restore volume ${volume.name} of ${env}?`} confirm="Restore" busy="Restoring…" action={() => post<VolumeRestoreInfo>(`${url}/${encodeURIComponent(b.id)}/restore`)} onDone={onRestored} onClose={onClose}>
      <p>
        Backup <code>{b.id}</code> ({formatBytes(b.size)}, taken {ago(b.createdAt)} at {new Date(b.createdAt).toLocaleString()} from generation {b.generation}
        {b.release !== null ? `, release #${b.release}` : ''}) is unpacked into a <strong>new generation</strong> of volume {volume.name}, and a <strong>new release</strong> of {env} that mounts it rolls out (a rolling deploy, as the environment's strategy says).
      </p>
      <p>
        The live volume is not written: <code>{volume.volume}</code> keeps its data, including anything written since the backup, and rolling back to the release before the restore mounts it again.
      </p>
    </ConfirmDialog>
  );
}

export function VolumeRestored({ ws, volume, restored: r }: { ws: string; volume: string; restored: VolumeRestoreInfo }) {
  const d = r.deployment;
  const url = path('workspaces', ws, 'deployments', d?.id ?? '-');
  const [tick, setTick] = useState(0);
  const now = useLoad<DeploymentInProject | null>(() => (d ? get<DeploymentInProject>(url) : Promise.resolve(null)), `${url}#${tick}`, url);
  // Each change of that deployment (and each time the stream opens again) reads its state.
  useChanges(
    () => setTick((t) => t + 1),
    (c) => c.kind === 'deployment' && c.id === d?.id,
  );
  return (
    <div role="status" className="note" data-volume-restored={r.generation}>
      <p>{restoredText(r, volume)}</p>
      {d && (
        <p data-restore-deployment={d.id}>
          Release #{d.releaseNumber}: <StatusBadge status={now.data?.status ?? d.status} /> <Link to={href('w', ws, 'deployments', d.id)}>watch the live log</Link>.
        </p>
      )}
    </div>
  );
}
