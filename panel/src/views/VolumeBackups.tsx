/**
 * The backups of one of an environment's volumes, as `slipway volume …` handles them: **Back up
 * now** (`volume backup`: read through the running release's image), the list newest first with
 * the CLI's columns (`volume backups`), **Upload a backup…** (`volume upload`: a tar or tar.gz
 * from this computer, its bytes as they go), and per backup **Download** (`volume download`: fetched
 * with the panel's bearer token, checked against the backup's SHA-256, then saved through an
 * object URL), **Restore** (VolumeRestore.tsx) and **Remove** (`volume backup-rm`, admins, behind
 * a confirmation), and its **backup schedule** (VolumeBackupSchedule.tsx, `volume backup-schedule`). What a role may not do is not offered; the API decides every request and its
 * refusal is shown with its code. Outside the settings form: its dialogs are forms of their own.
 */
import { useState } from 'react';
import { ApiError, del, download, get, post, upload } from '../api';
import { formatBytes } from '../format';
import type { EnvironmentSettingsView, VolumeBackupInfo, VolumeBackupList, VolumeRestoreInfo, Workspace } from '../types';
import { ErrorNote, Loading, Table } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { useAction, useLoad } from '../ui/hooks';
import { useVolumeChanges } from '../ui/live';
import { saveBlob } from '../ui/save-blob';
import { backupActions, backupCells, backupColumns, checkDownload, downloadName, sha256Hex, volumeBackupsUrl } from '../volume-backups';
import { VolumeRestoreDialog, VolumeRestored } from './VolumeRestore';
import { VolumeBackupSchedule } from './VolumeBackupSchedule';

type Volume = EnvironmentSettingsView['volumes'][number];

interface Props {
  ws: string;
  project: string;
  env: string;
  volume: Volume;
  role: Workspace['role'] | undefined;
  requireApproval: boolean;
}

export function VolumeBackups({ ws, project, env, volume, role, requireApproval }: Props) {
  const url = volumeBackupsUrl(ws, project, env, volume.name);
  const list = useLoad(() => get<VolumeBackupList>(url), url);
  // Backups taken, removed or restored elsewhere (the CLI, another tab, --keep-backups) show at once.
  useVolumeChanges(
    () => list.reload(),
    (c) => c.project === project && c.environment === env && c.volume === volume.name,
  );
  const may = backupActions(role, env, requireApproval);
  const action = useAction();
  const [doing, setDoing] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [restoring, setRestoring] = useState<VolumeBackupInfo | null>(null);
  const [restored, setRestored] = useState<VolumeRestoreInfo | null>(null);
  const [removing, setRemoving] = useState<VolumeBackupInfo | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const said = (text: string | null, r: VolumeRestoreInfo | null = null) => (setNote(text), setRestored(r));

  const backUp = async () => {
    said(null);
    setDoing('backup');
    const b = await action.run(() => post<VolumeBackupInfo>(url));
    setDoing(null);
    if (!b) return;
    said(`Backed up volume ${volume.name}: ${b.id}, ${formatBytes(b.size)}, sha256 ${b.sha256}${b.release === null ? '' : `, release #${b.release}`}.`);
    list.reload();
  };
  const save = async (b: VolumeBackupInfo) => {
    said(null);
    setDoing(b.id);
    const done = await action.run(async () => {
      const { blob, headers } = await download(volumeBackupsUrl(ws, project, env, volume.name, b.id, 'download'));
      const check = checkDownload(b.sha256, headers.get('x-slipway-sha256'), await sha256Hex(await blob.arrayBuffer()));
      if (!check.ok) throw new ApiError(check.code, check.message, 0);
      const name = downloadName(project, env, volume.name, b.id);
      saveBlob(blob, name);
      return { name, checked: check.checked, size: blob.size };
    });
    setDoing(null);
    if (done) said(`Saved backup ${b.id} as ${done.name} (${formatBytes(done.size)}, ${done.checked ? 'its SHA-256 checked' : 'not checked here: this browser computes no SHA-256 on a page served over plain HTTP'}).`);
  };

  const send = async (file: File) => {
    said(null);
    setDoing('upload');
    setSent(`0 of ${formatBytes(file.size)}`);
    const b = await action.run(() => upload<VolumeBackupInfo>(`${url}/upload`, file, {}, (n, total) => setSent(`${formatBytes(n)} of ${formatBytes(total)}`)));
    setDoing(null);
    setSent(null);
    if (!b) return;
    said(`Uploaded ${file.name} as backup ${b.id} of volume ${volume.name} (${formatBytes(b.size)}, sha256 ${b.sha256}); restore it from the list.`);
    list.reload();
  };

  const backups = list.data?.backups ?? [];
  return (
    <section className="card volume-backups" id={`volume-backups-${volume.name}`} aria-label={`Backups of volume ${volume.name}`} data-volume-backups={volume.name}>
      <div className="heading-row">
        <h2>
          Backups of volume {volume.name} <code className="muted small">{volume.path}</code>
        </h2>
        {may.backup && (
          <span className="actions">
            <button type="button" disabled={action.busy} onClick={() => void backUp()}>
              {doing === 'backup' ? 'Backing up…' : 'Back up now'}
            </button>
            <label className={`button ghost${action.busy ? ' disabled' : ''}`}>
              {doing === 'upload' ? `Uploading… ${sent ?? ''}` : 'Upload a backup…'}
              <input
                type="file"
                className="sr-only"
                accept=".tar,.tgz,.tar.gz,application/x-tar,application/gzip"
                aria-label={`Upload a tar or tar.gz as a backup of volume ${volume.name}`}
                disabled={action.busy}
                onChange={(e) => {
                  const file = e.currentTarget.files?.[0];
                  e.currentTarget.value = '';
                  if (file) void send(file);
                }}
              />
            </label>
          </span>
        )}
      </div>
      <p className="muted small">
        A backup is a tar of the volume's files (generation {volume.generation}, <code>{volume.volume}</code>), read through the running release's image while it runs, kept in the server's data directory; an uploaded tar or tar.gz (files from elsewhere, entries relative to the volume) is kept as one. A restore never writes the live volume: it makes a new generation and rolls a release that mounts it.
      </p>
      {may.restoreNote && <p className="muted small">{may.restoreNote}</p>}
      <VolumeBackupSchedule backupsUrl={url} project={project} env={env} volume={volume.name} role={role} />
      {note && (
        <p role="status" className="note" data-volume-note="">
          {note}
        </p>
      )}
      {restored && <VolumeRestored ws={ws} volume={volume.name} restored={restored} />}
      <ErrorNote error={action.error ?? list.error} />
      {!list.data && !list.error && <Loading what="backups" />}
      {list.data && backups.length === 0 && (
        <p className="muted" data-backups="none">
          No backups of {volume.name} yet.
        </p>
      )}
      {backups.length > 0 && (
        <Table caption={`Backups of volume ${volume.name}, newest first`} columns={[...backupColumns, '']}>
          {backups.map((b) => {
            const c = backupCells(b);
            return (
              <tr key={b.id} data-backup={b.id}>
                <td>
                  <code>{c.id}</code>
                </td>
                <td>{c.size}</td>
                <td>{c.generation}</td>
                <td>{c.release}</td>
                <td>
                  <time dateTime={b.createdAt}>{new Date(c.created).toLocaleString()}</time>
                </td>
                <td>{c.madeBy}</td>
                <td>{c.by}</td>
                <td className="actions">
                  {may.backup && (
                    <button type="button" className="ghost" disabled={action.busy} onClick={() => void save(b)}>
                      {doing === b.id ? 'Downloading…' : 'Download'}
                      <span className="sr-only"> backup {b.id}</span>
                    </button>
                  )}
                  {may.restore && (
                    <button type="button" className="ghost" onClick={() => setRestoring(b)}>
                      Restore…<span className="sr-only"> backup {b.id}</span>
                    </button>
                  )}
                  {may.remove && (
                    <button type="button" className="ghost danger" onClick={() => setRemoving(b)}>
                      Remove<span className="sr-only"> backup {b.id}</span>
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </Table>
      )}
      {restoring && (
        <VolumeRestoreDialog
          url={url}
          env={env}
          volume={volume}
          backup={restoring}
          onClose={() => setRestoring(null)}
          onRestored={(r) => {
            said(null, r);
            setRestoring(null);
            list.reload();
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove a backup of volume ${volume.name}?`}
          confirm="Remove backup"
          busy="Removing…"
          action={() => del<{ deleted: string }>(`${url}/${encodeURIComponent(removing.id)}`)}
          onClose={() => setRemoving(null)}
          onDone={() => {
            said(`Removed backup ${removing.id} of volume ${volume.name}.`);
            setRemoving(null);
            list.reload();
          }}
        >
          <p>
            Backup <code>{removing.id}</code> ({formatBytes(removing.size)}, taken {new Date(removing.createdAt).toLocaleString()}, sha256 <code>{removing.sha256.slice(0, 12)}</code>) and its file are deleted: it can no longer be downloaded or restored. The volume itself is not touched.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
