/**
 * Building an image from an uploaded artifact (as `slipway build ARTIFACT --version V [--runtime]
 * [--base]`): a JAR, or a static site or Node app as a tar, tar.gz or zip archive or as a
 * directory (packed here as the CLI packs one, without its .git: tar.ts), uploaded with a
 * progress bar; the server builds it into the project's repository and answers with each step.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, upload } from '../api';
import { formatBytes } from '../format';
import { tarGz } from '../tar';
import type { BuildResult } from '../types';
import { Digest, ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';

export function BuildArtifact({ projectUrl, onBuilt }: { projectUrl: string; onBuilt(): void }) {
  const [kind, setKind] = useState<'file' | 'dir'>('file');
  const [file, setFile] = useState<File | null>(null);
  const [dir, setDir] = useState<File[]>([]);
  const [packed, setPacked] = useState<string | null>(null);
  const [version, setVersion] = useState('');
  const [runtime, setRuntime] = useState('');
  const [base, setBase] = useState('');
  const [sent, setSent] = useState<{ sent: number; total: number } | null>(null);
  const [done, setDone] = useState<BuildResult | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    setPacked(null);
    const r = await action.run(async () => {
      const body = kind === 'file' ? file : await pack(dir, setPacked);
      if (!body) return undefined;
      setSent({ sent: 0, total: body.size });
      return upload<BuildResult>(`${projectUrl}/builds`, body, { version: version.trim(), runtime, base: base.trim() }, (s, total) => setSent({ sent: s, total }));
    });
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
        From a JAR, or a static site or Node app as a tar, tar.gz or zip archive or a directory (packed here without its <code>.git</code>, as <code>slipway build DIR</code> does). The same artifact built again gives the same digest.
      </p>
      <div className="fields">
        <div>
          <label htmlFor="build-kind">Upload</label>
          <select id="build-kind" value={kind} onChange={(e) => setKind(e.target.value as 'file' | 'dir')}>
            <option value="file">a file (JAR or archive)</option>
            <option value="dir">a directory</option>
          </select>
        </div>
        {kind === 'file' ? (
          <div>
            <label htmlFor="build-file">Artifact</label>
            <input id="build-file" type="file" accept=".jar,.war,.zip,.tar,.tgz,.gz" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required />
          </div>
        ) : (
          <div>
            <label htmlFor="build-dir">Directory</label>
            <input id="build-dir" type="file" {...{ webkitdirectory: '' }} onChange={(e) => setDir([...(e.target.files ?? [])])} required />
          </div>
        )}
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
      {packed && (
        <p className="muted small" role="status">
          {packed}
        </p>
      )}
      {sent && (
        <p role="status" className="muted small">
          <progress value={sent.sent} max={Math.max(sent.total, 1)} /> {uploaded ? `uploaded ${formatBytes(sent.total)}; building…` : `uploading ${formatBytes(sent.sent)} / ${formatBytes(sent.total)}`}
        </p>
      )}
      <button type="submit" disabled={action.busy || (kind === 'file' ? !file : dir.length === 0) || version.trim() === ''}>
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

/** Packs the picked directory's files, relative to it as the CLI packs them (the browser names each under the directory's own name). */
async function pack(files: File[], say: (line: string) => void): Promise<Blob> {
  const inside = (f: File) => (f.webkitRelativePath ? f.webkitRelativePath.split('/').slice(1).join('/') : f.name);
  const picked = await Promise.all(files.map(async (f) => ({ path: inside(f), data: new Uint8Array(await f.arrayBuffer()) })));
  const blob = await tarGz(picked).catch((error: unknown) => {
    throw new ApiError('SLW_USAGE', (error as Error).message, 0);
  });
  const kept = picked.filter((f) => !f.path.split('/').includes('.git'));
  say(`packed ${kept.length} file(s), ${formatBytes(kept.reduce((n, f) => n + f.data.length, 0))} (${formatBytes(blob.size)} compressed)`);
  return blob;
}
