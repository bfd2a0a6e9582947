/**
 * Building an image from an uploaded artifact (as `slipway build ARTIFACT --version V [--runtime]
 * [--base]`): a JAR, or a static site or Node app as a tar, tar.gz or zip archive, uploaded with
 * a progress bar; the server builds it into the project's repository and answers with each step.
 */
import { useState, type FormEvent } from 'react';
import { upload } from '../api';
import { formatBytes } from '../format';
import type { BuildResult } from '../types';
import { Digest, ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';

export function BuildArtifact({ projectUrl, onBuilt }: { projectUrl: string; onBuilt(): void }) {
  const [file, setFile] = useState<File | null>(null);
  const [version, setVersion] = useState('');
  const [runtime, setRuntime] = useState('');
  const [base, setBase] = useState('');
  const [sent, setSent] = useState<{ sent: number; total: number } | null>(null);
  const [done, setDone] = useState<BuildResult | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setDone(null);
    setSent({ sent: 0, total: file.size });
    const r = await action.run(() => upload<BuildResult>(`${projectUrl}/builds`, file, { version: version.trim(), runtime, base: base.trim() }, (s, total) => setSent({ sent: s, total })));
    setSent(null);
    if (!r) return;
    setDone(r);
    setVersion('');
    onBuilt();
  };
  const uploaded = sent !== null && sent.sent >= sent.total;
  return (
    <form onSubmit={submit} className="card form" aria-labelledby="build-title" autoComplete="off">
      <h2 id="build-title">Build an image</h2>
      <p className="muted small">
        From a JAR, or a static site or Node app as a tar, tar.gz or zip archive (<code>slipway build</code> also takes a directory). The same artifact built again gives the same digest.
      </p>
      <div className="fields">
        <div>
          <label htmlFor="build-file">Artifact</label>
          <input id="build-file" type="file" accept=".jar,.war,.zip,.tar,.tgz,.gz" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required />
        </div>
        <div>
          <label htmlFor="build-version">Version</label>
          <input id="build-version" value={version} onChange={(e) => setVersion(e.target.value)} required spellCheck={false} placeholder="1.4.2" />
        </div>
        <div>
          <label htmlFor="build-runtime">Runtime</label>
          <select id="build-runtime" value={runtime} onChange={(e) => setRuntime(e.target.value)}>
            <option value="">detect</option>
            <option value="java">java</option>
            <option value="static">static</option>
            <option value="node">node</option>
          </select>
        </div>
        <div>
          <label htmlFor="build-base">Base image (optional)</label>
          <input id="build-base" value={base} onChange={(e) => setBase(e.target.value)} spellCheck={false} placeholder="the runtime's default" />
        </div>
      </div>
      <ErrorNote error={action.error} />
      {sent && (
        <p role="status" className="muted small">
          <progress value={sent.sent} max={Math.max(sent.total, 1)} /> {uploaded ? `uploaded ${formatBytes(sent.total)}; building…` : `uploading ${formatBytes(sent.sent)} / ${formatBytes(sent.total)}`}
        </p>
      )}
      <button type="submit" disabled={action.busy || !file || version.trim() === ''}>
        {action.busy ? 'Building…' : 'Build'}
      </button>
      {done && (
        <div role="status" className="note">
          <p>
            Built {done.version} ({done.runtime}) on <code>{done.base.reference}</code> <Digest digest={done.digest} /> · {formatBytes(done.size)} · {done.newBlobs === 0 ? 'no new blobs (built before)' : `${done.newBlobs} new blob(s)`}
          </p>
          <ul className="small muted">
            {done.steps.map((s) => (
              <li key={s.name}>
                {s.name}: {(s.ms / 1000).toFixed(2)} s
              </li>
            ))}
          </ul>
        </div>
      )}
    </form>
  );
}
