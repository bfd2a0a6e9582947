/**
 * An upgrade's sites: site, wave, step, the version it came from, its error or its clone, with a
 * filter by step (counts per step) and by name. At most 200 rows are drawn (a herd has
 * thousands; the filters narrow it). A staged site waiting for approval has Approve and Reject
 * (Reject behind a confirmation: its clone and the clone's data go); every site opens its step log.
 */
import { useState } from 'react';
import { post } from '../api';
import { stepCounts } from '../herd';
import { href } from '../router';
import type { HerdUpgrade } from '../types';
import { Badge, ErrorNote, Link, StatusBadge, Table } from '../ui/bits';
import { ConfirmDialog } from '../ui/confirm';
import { useAction } from '../ui/hooks';

const maxRows = 200;
type Site = HerdUpgrade['sites'][number];

export function HerdSites({ ws, upgrade: u, url, project, selected, onLog, onDecided }: { ws: string; upgrade: HerdUpgrade; url: string; project: string | null; selected: string | null; onLog(site: string): void; onDecided(): void }) {
  const [step, setStep] = useState('');
  const [name, setName] = useState('');
  const [rejecting, setRejecting] = useState<Site | null>(null);
  const action = useAction();
  const counts = stepCounts(u.sites);
  const needle = name.trim().toLowerCase();
  const matching = u.sites.filter((s) => (step === '' || s.step === step) && (needle === '' || s.site.toLowerCase().includes(needle)));
  const rows = matching.slice(0, maxRows);
  const approve = async (s: Site) => {
    if (await action.run(() => post<HerdUpgrade>(`${url}/sites/${encodeURIComponent(s.site)}/approve`))) onDecided();
  };
  return (
    <section aria-labelledby="herd-sites-title">
      <h2 id="herd-sites-title">Sites</h2>
      <div className="inline-form" role="search" aria-label="Filter the sites of the upgrade">
        <label>
          Step
          <select value={step} onChange={(e) => setStep(e.target.value)} aria-label="Show sites at step">
            <option value="">every step ({u.sites.length})</option>
            {counts.map((c) => (
              <option key={c.step} value={c.step}>
                {c.step} ({c.count})
              </option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} aria-label="Site name contains" spellCheck={false} />
        </label>
      </div>
      <ErrorNote error={action.error} />
      {matching.length === 0 && <p className="muted">No site {step ? `at step ${step}` : ''}{needle ? ` named like ${name.trim()}` : ''}.</p>}
      {rows.length > 0 && (
        <Table caption={`Sites of upgrade ${u.id}${step ? ` at step ${step}` : ''}`} columns={['Site', 'Wave', 'Step', 'From', 'Note', '']}>
          {rows.map((s) => (
            <tr key={s.site} data-site={s.site} data-step={s.step} className={selected === s.site ? 'selected' : undefined}>
              <td>{project ? <Link to={href('w', ws, 'p', project, 'e', s.site)}>{s.site}</Link> : s.site}</td>
              <td>{s.wave < 0 ? <span className="muted">skipped</span> : s.wave}</td>
              <td>
                <StatusBadge status={s.step} />
              </td>
              <td>{s.fromVersion ?? '—'}</td>
              <td className="details">
                {s.error && <span className="bad">{s.error}</span>}
                {s.clone && (
                  <>
                    {' '}
                    <Badge tone="info">clone</Badge>
                    {project ? <Link to={href('w', ws, 'p', project, 'e', s.clone)}>{s.clone}</Link> : s.clone}
                  </>
                )}
              </td>
              <td>
                <div className="actions row-actions">
                  {s.step === 'awaiting-approval' && (
                    <>
                      <button type="button" disabled={action.busy} onClick={() => void approve(s)}>
                        Approve {s.site}
                      </button>
                      <button type="button" className="ghost danger" disabled={action.busy} onClick={() => setRejecting(s)}>
                        Reject {s.site}
                      </button>
                    </>
                  )}
                  <button type="button" className="ghost" aria-pressed={selected === s.site} onClick={() => onLog(s.site)}>
                    Step log<span className="sr-only"> of {s.site}</span>
                  </button>
                </div>
              </td>
            </tr>
          ))}
        </Table>
      )}
      {matching.length > rows.length && <p className="muted">+{matching.length - rows.length} more sites: filter by step or name to see them.</p>}
      {rejecting && (
        <RejectDialog
          url={url}
          site={rejecting}
          to={u.to}
          onClose={() => setRejecting(null)}
          onDone={() => {
            setRejecting(null);
            onDecided();
          }}
        />
      )}
    </section>
  );
}

function RejectDialog({ url, site: s, to, onClose, onDone }: { url: string; site: Site; to: string; onClose(): void; onDone(): void }) {
  return (
    <ConfirmDialog title={`Reject ${to} for ${s.site}?`} confirm={`Reject ${s.site}`} action={() => post<HerdUpgrade>(`${url}/sites/${encodeURIComponent(s.site)}/reject`)} onDone={onDone} onClose={onClose}>
      <p>
        {s.site} stays on {s.fromVersion ?? 'its version'}; its clone {s.clone ? <code>{s.clone}</code> : ''} is removed with the copy of its data.
      </p>
    </ConfirmDialog>
  );
}
