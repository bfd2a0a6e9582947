/**
 * Importing an image built elsewhere (as `slipway import IMAGE_REF --version V`): copied by digest
 * from another registry (with the workspace's credential for that host, if any) into the
 * project's repository under an immutable version tag.
 */
import { useState, type FormEvent } from 'react';
import { post } from '../api';
import { href } from '../router';
import type { ImportResult } from '../types';
import { Digest, ErrorNote, Link } from '../ui/bits';
import { useAction } from '../ui/hooks';

export function ImportImage({ ws, projectUrl, onImported }: { ws: string; projectUrl: string; onImported(): void }) {
  const [source, setSource] = useState('');
  const [version, setVersion] = useState('');
  const [done, setDone] = useState<ImportResult | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const r = await action.run(() => post<ImportResult>(`${projectUrl}/images/import`, { source: source.trim(), version: version.trim() }));
    if (!r) return;
    setDone(r);
    setSource('');
    setVersion('');
    onImported();
  };
  return (
    <form onSubmit={submit} className="card form" aria-labelledby="import-title" autoComplete="off">
      <h2 id="import-title">Import an image</h2>
      <p className="muted small">
        Copies an image built elsewhere (by CI, say) by digest. A registry that needs a login uses the workspace's <Link to={href('w', ws, 'registries')}>registry credentials</Link>.
      </p>
      <div className="fields">
        <div>
          <label htmlFor="import-source">Image reference</label>
          <input id="import-source" value={source} onChange={(e) => setSource(e.target.value)} required spellCheck={false} placeholder="ghcr.io/acme/api:1.4.2" />
        </div>
        <div>
          <label htmlFor="import-version">Version tag here</label>
          <input id="import-version" value={version} onChange={(e) => setVersion(e.target.value)} required spellCheck={false} placeholder="1.4.2" />
        </div>
      </div>
      <ErrorNote error={action.error} />
      <button type="submit" disabled={action.busy || source.trim() === '' || version.trim() === ''}>
        {action.busy ? 'Importing…' : 'Import'}
      </button>
      {done && (
        <p role="status" className="note">
          Imported {done.version} from <code>{done.source}</code> <Digest digest={done.digest} />.
        </p>
      )}
    </form>
  );
}
