/**
 * A project's retention (as `registry policy --keep N --protect PATTERN… | --no-protect`): how many
 * of the newest versions the registry's garbage collection keeps, and the tag patterns it never
 * removes. Shows what it
 * is now; an empty field leaves that setting; only what is filled is sent.
 */
import { useState, type FormEvent } from 'react';
import { get, patch } from '../api';
import type { RegistryPolicy as Policy } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';

const words = (text: string) => text.split(/[\s,]+/).filter(Boolean);

export function RegistryPolicy({ projectUrl }: { projectUrl: string }) {
  const url = `${projectUrl}/registry-policy`;
  const policy = useLoad(() => get<Policy>(url), url);
  const [keep, setKeep] = useState('');
  const [protect, setProtect] = useState('');
  const [noProtect, setNoProtect] = useState(false);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const body = { ...(keep.trim() ? { keepVersions: Number(keep) } : {}), ...(noProtect ? { protectedTags: [] } : protect.trim() ? { protectedTags: words(protect) } : {}) };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    if (await action.run(() => patch<Policy>(url, body))) {
      setSaved(true);
      setKeep('');
      setProtect('');
      setNoProtect(false);
      policy.reload();
    }
  };
  const p = policy.data;
  return (
    <form onSubmit={submit} className="card form" aria-labelledby="policy-title" data-registry-policy>
      <h2 id="policy-title">Retention</h2>
      <ErrorNote error={policy.error} />
      {p && (
        <p data-policy-now>
          Now: the newest {p.keepVersions} versions are kept; protected tags: {p.protectedTags.length > 0 ? p.protectedTags.map((t) => <code key={t}>{t} </code>) : 'none'}. Images a release can still roll back to are kept too; the server's garbage collection (hourly, or <code>registry gc</code>) deletes the rest.
        </p>
      )}
      <div className="fields">
        <div>
          <label htmlFor="policy-keep">Keep the newest N versions</label>
          <input id="policy-keep" type="number" min={1} max={10000} value={keep} onChange={(e) => setKeep(e.target.value)} placeholder={p ? String(p.keepVersions) : ''} />
        </div>
        <div>
          <label htmlFor="policy-protect">Protected tag patterns (replace the list; * matches)</label>
          <input id="policy-protect" value={protect} onChange={(e) => setProtect(e.target.value)} disabled={noProtect} spellCheck={false} placeholder="release-*, v1.*" />
        </div>
      </div>
      <label className="check">
        <input type="checkbox" checked={noProtect} onChange={(e) => setNoProtect(e.target.checked)} /> No protected tags
      </label>
      <ErrorNote error={action.error} />
      <button type="submit" disabled={action.busy || Object.keys(body).length === 0}>
        Save retention
      </button>
      {saved && (
        <p role="status" className="note">
          Retention saved.
        </p>
      )}
    </form>
  );
}
