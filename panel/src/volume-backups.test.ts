import { describe, expect, it } from 'vitest';
import type { VolumeBackupInfo, VolumeRestoreInfo } from './types';
import { backupActions, backupCells, checkDownload, downloadName, hex, restoredText, sha256Hex, volumeBackupsUrl } from './volume-backups';

const backup: VolumeBackupInfo = {
  id: 'vb_1',
  project: 'shop',
  environment: 'files',
  volume: 'data',
  generation: 0,
  size: 10_240,
  sha256: 'a'.repeat(64),
  release: 3,
  trigger: 'manual',
  createdAt: '2026-12-07T10:00:00.000Z',
  createdBy: 'dave@example.com',
};

describe('volume backups in the panel', () => {
  it('addresses a volume’s backups as the CLI does, each segment encoded', () => {
    expect(volumeBackupsUrl('acme', 'shop', 'files', 'data')).toBe('workspaces/acme/projects/shop/environments/files/volumes/data/backups');
    expect(volumeBackupsUrl('acme', 'shop', 'files', 'data', 'vb 1', 'download')).toBe('workspaces/acme/projects/shop/environments/files/volumes/data/backups/vb%201/download');
  });

  it('offers by role: viewers read, developers back up, download and restore, admins also remove; approval keeps restore for admins', () => {
    expect(backupActions('viewer', 'prod', false)).toEqual({ backup: false, restore: false, remove: false, restoreNote: null });
    expect(backupActions('developer', 'dev', false)).toEqual({ backup: true, restore: true, remove: false, restoreNote: null });
    const protectedDev = backupActions('developer', 'prod', true);
    expect(protectedDev).toMatchObject({ backup: true, restore: false, remove: false });
    expect(protectedDev.restoreNote).toBe('prod requires approval, so only an admin or owner restores its volumes (your role here: developer).');
    expect(backupActions('admin', 'prod', true)).toEqual({ backup: true, restore: true, remove: true, restoreNote: null });
    expect(backupActions('owner', 'prod', true)).toEqual({ backup: true, restore: true, remove: true, restoreNote: null });
    // Unknown role: everything offered, the API decides.
    expect(backupActions(undefined, 'prod', true)).toEqual({ backup: true, restore: true, remove: true, restoreNote: null });
  });

  it('writes the CLI’s columns, and names a download as the CLI’s default', () => {
    expect(backupCells(backup)).toEqual({ id: 'vb_1', size: '10 KiB', generation: '0', release: '#3', created: '2026-12-07T10:00:00.000Z', madeBy: 'by hand', by: 'dave@example.com' });
    expect(backupCells({ ...backup, release: null, trigger: 'upgrade', createdBy: null })).toMatchObject({ release: '—', madeBy: 'a herd upgrade', by: 'an instance token' });
    expect(backupCells({ ...backup, release: null, trigger: 'upload' })).toMatchObject({ release: '—', madeBy: 'an upload' });
    expect(backupCells({ ...backup, trigger: 'move' }).madeBy).toBe('a move');
    expect(backupCells({ ...backup, trigger: 'schedule', createdBy: null })).toMatchObject({ madeBy: 'its schedule', by: 'the server' });
    expect(downloadName('shop', 'files', 'data', 'vb_1')).toBe('shop-files-data-vb_1.tar');
  });

  it('checks a download against the backup’s SHA-256 (and the server’s header); saves nothing on a mismatch', async () => {
    // SHA-256 of 'abc' (FIPS 180-2, appendix B.1).
    const sha = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(await sha256Hex(new TextEncoder().encode('abc').buffer)).toBe(sha);
    expect(await sha256Hex(new ArrayBuffer(0), null)).toBeNull();
    expect(hex(new Uint8Array([0, 15, 255]))).toBe('000fff');
    expect(checkDownload(sha, sha, sha)).toEqual({ ok: true, checked: true });
    expect(checkDownload(sha, null, sha)).toEqual({ ok: true, checked: true });
    // No WebCrypto (plain HTTP to another host): the header still has to agree.
    expect(checkDownload(sha, sha, null)).toEqual({ ok: true, checked: false });
    expect(checkDownload(sha, sha, 'b'.repeat(64))).toMatchObject({ ok: false, code: 'SLW_BACKUP_INVALID' });
    expect(checkDownload(sha, 'c'.repeat(64), null)).toMatchObject({ ok: false, code: 'SLW_BACKUP_INVALID' });
  });

  it('says what a restore did: the new generation, the one kept, and the release rolling (or none)', () => {
    const r = { backup, generation: 1, dockerVolume: 'slw-env_1-data.g1', previous: 'slw-env_1-data', deployment: { id: 'dep_1', releaseNumber: 4 }, durationMs: 900 } as unknown as VolumeRestoreInfo;
    expect(restoredText(r, 'data')).toBe('Restored backup vb_1 of volume data into generation 1 (slw-env_1-data.g1; the previous data stays in slw-env_1-data); release #4 rolls out to mount it.');
    expect(restoredText({ ...r, deployment: null }, 'data')).toBe('Restored backup vb_1 of volume data into generation 1 (slw-env_1-data.g1; the previous data stays in slw-env_1-data); nothing runs, so the next deploy mounts it.');
  });
});
