/**
 * Backups of an environment's volume in the panel, as `slipway volume backup|backups|download|
 * restore|backup-rm` does them: where they live in the API, what a role is offered, the columns
 * of the list (the CLI's), the name a download is saved under (the CLI's default), the check of
 * a download against the backup's SHA-256, and what a restore says it did. Pure.
 */
import { path } from './api';
import { mayCreate, mayManage, type Role } from './access';
import { formatBytes } from './format';
import type { VolumeBackupInfo, VolumeRestoreInfo } from './types';

/** `…/environments/ENV/volumes/VOLUME/backups`, then `rest` (a backup's id, `download`, `restore`). */
export function volumeBackupsUrl(ws: string, project: string, env: string, volume: string, ...rest: string[]): string {
  return path('workspaces', ws, 'projects', project, 'environments', env, 'volumes', volume, 'backups', ...rest);
}

export interface BackupActions {
  /** Back up now, and download (`volume.backup`: developers and above). */
  backup: boolean;
  restore: boolean;
  /** Remove a backup (`volume.delete`: admins and owners). */
  remove: boolean;
  /** Why restore is not offered, when the role could otherwise. */
  restoreNote: string | null;
}

/**
 * What the caller is offered by role. While the role is unknown (still being read, or a token
 * whose role the workspace list does not give) everything is offered and the API decides; its
 * refusal (SLW_FORBIDDEN) is shown as it comes. A restore where the environment requires approval
 * is for admins and owners (the API's protected role).
 */
export function backupActions(role: Role | undefined, env: string, requireApproval: boolean): BackupActions {
  if (role === undefined) return { backup: true, restore: true, remove: true, restoreNote: null };
  const backup = mayCreate(role);
  const protectedFromRole = backup && requireApproval && !mayManage(role);
  return {
    backup,
    restore: backup && !protectedFromRole,
    remove: mayManage(role),
    restoreNote: protectedFromRole ? `${env} requires approval, so only an admin or owner restores its volumes (your role here: ${role}).` : null,
  };
}

/** The columns of `slipway volume backups` (ID, SIZE, GENERATION, RELEASE, CREATED, MADE BY, BY), as the panel writes them. */
export const backupColumns = ['ID', 'Size', 'Generation', 'Release', 'Created', 'Made by', 'By'] as const;

export function backupCells(b: VolumeBackupInfo): { id: string; size: string; generation: string; release: string; created: string; madeBy: string; by: string } {
  return {
    id: b.id,
    size: formatBytes(b.size),
    generation: String(b.generation),
    release: b.release === null ? '—' : `#${b.release}`,
    created: b.createdAt,
    madeBy: ({ upgrade: 'a herd upgrade', move: 'a move', upload: 'an upload', schedule: 'its schedule', manual: 'by hand' } as const)[b.trigger],
    by: b.createdBy ?? (b.trigger === 'schedule' ? 'the server' : 'an instance token'),
  };
}

/** The CLI's default name for a download: PROJECT-ENV-VOLUME-BACKUP.tar (also the server's Content-Disposition). */
export function downloadName(project: string, env: string, volume: string, id: string): string {
  return `${project}-${env}-${volume}-${id}.tar`;
}

/** Lower-case hex of a digest. */
export function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The SHA-256 of `data` in hex; null where WebCrypto is missing (a page served over plain HTTP to another host than localhost). */
export async function sha256Hex(data: ArrayBuffer, subtle: SubtleCrypto | null = globalThis.crypto?.subtle ?? null): Promise<string | null> {
  return subtle ? hex(await subtle.digest('SHA-256', data)) : null;
}

/**
 * Whether a download may be saved: its SHA-256 (null where the browser cannot compute one, a
 * page served over plain HTTP to another host) against the backup's and the server's header. As
 * the CLI, a mismatch saves nothing (SLW_BACKUP_INVALID).
 */
export function checkDownload(expected: string, header: string | null, actual: string | null): { ok: true; checked: boolean } | { ok: false; code: string; message: string } {
  const mismatch = { ok: false as const, code: 'SLW_BACKUP_INVALID', message: 'the download does not match the backup (checksum mismatch); nothing was saved, try again' };
  if (header !== null && header !== '' && header !== expected) return mismatch;
  if (actual === null) return { ok: true, checked: false };
  return actual === expected ? { ok: true, checked: true } : mismatch;
}

/** What a restore did, in the CLI's words. */
export function restoredText(r: VolumeRestoreInfo, volume: string): string {
  const next = r.deployment ? `; release #${r.deployment.releaseNumber} rolls out to mount it` : '; nothing runs, so the next deploy mounts it';
  return `Restored backup ${r.backup.id} of volume ${volume} into generation ${r.generation} (${r.dockerVolume}; the previous data stays in ${r.previous})${next}.`;
}
