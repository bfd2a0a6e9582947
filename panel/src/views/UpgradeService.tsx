/**
 * Upgrading a provisioned service's image: the new image (PROJECT:TAG of the workspace's
 * registry), behind a confirmation that says what happens (every attachment is backed up first,
 * the server is replaced on the same volume, an unhealthy image is rolled back); a custom service
 * needs "without a backup" ticked, since Slipway cannot back it up. Below, its upgrades, newest
 * first, with their digests, backups and how each ended.
 */
import { useState, type FormEvent } from 'react';
import { post } from '../api';
import { ago, duration } from '../format';
import type { ServiceInfo, UpgradeBody, UpgradeInfo, UpgradeResult } from '../types';
import { Badge, Digest, ErrorNote, Table, type Tone } from '../ui/bits';
import { useAction } from '../ui/hooks';

const tones = { running: 'info', succeeded: 'ok', 'rolled-back': 'warn', failed: 'bad', interrupted: 'warn', aborted: 'muted' } as const satisfies Record<UpgradeInfo['status'], Tone>;

export function UpgradeService({ url, service: s, upgrades, onUpgraded }: { url: string; service: ServiceInfo; upgrades: UpgradeInfo[]; onUpgraded(): void }) {
  const [image, setImage] = useState('');
  const [withoutBackup, setWithoutBackup] = useState(false);
  const [done, setDone] = useState<UpgradeResult | null>(null);
  const action = useAction();
  const custom = s.kind === 'custom';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const body: UpgradeBody = { image: image.trim(), ...(custom && withoutBackup ? { withoutBackup: true } : {}) };
    const r = await action.run(() => post<UpgradeResult>(`${url}/upgrade`, body));
    onUpgraded();
    if (!r) return;
    setImage('');
    setDone(r);
  };
  return (
    <>
      <form onSubmit={submit} className="card form" aria-labelledby="upgrade-title" autoComplete="off">
        <h2 id="upgrade-title">Upgrade the image</h2>
        <p className="muted small">
          {custom
            ? 'Slipway cannot back up a custom service: save its volume first. The server is replaced on the same volume; if the new image is not healthy, the previous one is put back.'
            : 'Every attachment is backed up first. The server is replaced on the same volume (attached apps lose their connections for a moment); if the new image is not healthy, the previous one is put back.'}
        </p>
        <div className="fields">
          <div>
            <label htmlFor="upgrade-image">New image (PROJECT:TAG of this workspace)</label>
            <input id="upgrade-image" value={image} onChange={(e) => setImage(e.target.value)} required spellCheck={false} placeholder="postgres:15.8" />
          </div>
          {custom && (
            <label className="check">
              <input type="checkbox" checked={withoutBackup} onChange={(e) => setWithoutBackup(e.target.checked)} /> Without a backup (I saved the volume)
            </label>
          )}
        </div>
        <ErrorNote error={action.error} />
        <button type="submit" disabled={action.busy || image.trim() === '' || (custom && !withoutBackup)}>
          {action.busy ? 'Backing up and upgrading…' : 'Upgrade'}
        </button>
        {done && (
          <p role="status" className="note">
            Upgraded {done.service.name} to {done.upgrade.toDigest.slice(0, 19)} in {duration(done.upgrade.durationMs ?? 0)} (not ready for {duration(done.downMs)}); {done.backups.length === 0 ? 'no backup' : `${done.backups.length} backup(s) taken first`}.
          </p>
        )}
      </form>
      {upgrades.length > 0 && (
        <Table caption={`Image upgrades of ${s.name}, newest first`} columns={['Started', 'Status', 'From', 'To', 'Backups', 'Took', 'By']}>
          {upgrades.map((u) => (
            <tr key={u.id} data-upgrade={u.status}>
              <td>{ago(u.startedAt)}</td>
              <td>
                <Badge tone={tones[u.status]} title={u.message ?? undefined}>
                  {u.status}
                </Badge>
              </td>
              <td>
                <Digest digest={u.fromDigest} />
              </td>
              <td>
                <Digest digest={u.toDigest} />
              </td>
              <td>{u.backups.length}</td>
              <td>{u.durationMs === null ? '—' : duration(u.durationMs)}</td>
              <td>{u.by ?? '—'}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
