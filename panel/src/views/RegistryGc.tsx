/**
 * Collecting the registry's garbage now (`registry gc [--dry-run] [--grace]`, instance admins):
 * every project's retention applied, then unreferenced blobs older than the grace period deleted.
 * A dry run shows what would go and changes nothing; a real run, after a confirmation, shows what
 * went. The server also runs it every hour by itself.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, post } from '../api';
import { formatBytes, shortDigest } from '../format';
import type { GcBody, GcReport } from '../types';
import { ErrorNote, Table } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { useAction } from '../ui/hooks';
import { parseGrace } from '../units';

export function RegistryGc() {
  const [grace, setGrace] = useState('1h');
  const [invalid, setInvalid] = useState<ApiError | null>(null);
  const [report, setReport] = useState<GcReport | null>(null);
  const [confirming, setConfirming] = useState<GcBody | null>(null);
  const action = useAction();
  /** The request's body, or null (with the refusal shown) when the grace is no duration. */
  const body = (dryRun: boolean): GcBody | null => {
    const g = parseGrace(grace);
    if ('error' in g) {
      setInvalid(new ApiError(g.error.code, g.error.message, 0));
      return null;
    }
    setInvalid(null);
    return { dryRun, graceSeconds: g.value };
  };
  const dryRun = async (e: FormEvent) => {
    e.preventDefault();
    const b = body(true);
    if (!b) return;
    const r = await action.run(() => post<GcReport>('registry/gc', b));
    if (r) setReport(r);
  };
  return (
    <section className="panel-section" aria-labelledby="registry-gc-title">
      <h2 id="registry-gc-title">Registry garbage collection</h2>
      <p className="muted">
        Applies every project's retention (its Images page), then deletes blobs no image references that are older than the grace period. The server does this every hour by itself; here it runs now.
      </p>
      <form onSubmit={(e) => void dryRun(e)} className="card form" aria-labelledby="gc-form-title" autoComplete="off">
        <h3 id="gc-form-title">Collect garbage</h3>
        <label htmlFor="gc-grace">Grace period (nothing younger is collected)</label>
        <input id="gc-grace" value={grace} onChange={(e) => setGrace(e.target.value)} spellCheck={false} placeholder="1h, 10m, 0s" />
        <ErrorNote error={invalid ?? action.error} />
        <div className="actions">
          <button type="submit" disabled={action.busy}>
            {action.busy ? 'Working…' : 'Dry run: show what would go'}
          </button>
          <button type="button" className="danger" disabled={action.busy} onClick={() => setConfirming(body(false))}>
            Collect now…
          </button>
        </div>
      </form>
      {report && <GcResult report={report} />}
      {confirming && (
        <ConfirmDialog
          title="Collect the registry's garbage now?"
          confirm="Collect now"
          busy="Collecting…"
          action={() => post<GcReport>('registry/gc', confirming)}
          onClose={() => setConfirming(null)}
          onDone={(r) => {
            setConfirming(null);
            setReport(r);
          }}
        >
          <p>
            Images beyond each project's retention and blobs nothing references, older than {grace.trim()}, are deleted for good (an image a release can still roll back to, or with a protected tag, stays), as <code>registry gc</code> does. A dry run first shows what would go.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function GcResult({ report: r }: { report: GcReport }) {
  const verb = r.dryRun ? 'Would remove' : 'Removed';
  return (
    <section className="card" aria-labelledby="gc-result-title" data-gc={r.dryRun ? 'dry-run' : 'done'}>
      <h3 id="gc-result-title">{r.dryRun ? 'What a collection would remove now (dry run: nothing changed)' : 'What the collection removed'}</h3>
      <p role="status">
        {verb} {r.images.length} image(s), {r.blobs.count} blob(s) ({formatBytes(r.blobs.bytes)}), {r.links} stale link(s), {r.uploads} abandoned upload(s).
      </p>
      {r.images.length > 0 && (
        <Table caption={r.dryRun ? 'Images that would be removed' : 'Images removed'} columns={['Repository', 'Digest', 'Tags']}>
          {r.images.map((i) => (
            <tr key={`${i.repository}@${i.digest}`} data-gc-image={i.digest}>
              <td>{i.repository}</td>
              <td>
                <code title={i.digest}>{shortDigest(i.digest)}</code>
              </td>
              <td>{i.tags.join(' ') || '—'}</td>
            </tr>
          ))}
        </Table>
      )}
      {r.kept.length > 0 && (
        <>
          <h4>Kept beyond the newest N</h4>
          <Table caption="Images kept beyond the retention, and why" columns={['Repository', 'Digest', 'Why']}>
            {r.kept.map((k) => (
              <tr key={`${k.repository}@${k.digest}`}>
                <td>{k.repository}</td>
                <td>
                  <code title={k.digest}>{shortDigest(k.digest)}</code>
                </td>
                <td>{k.reason}</td>
              </tr>
            ))}
          </Table>
        </>
      )}
    </section>
  );
}
