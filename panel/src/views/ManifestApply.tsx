/**
 * Applying a project's manifest (as `pipeline apply FILE`): its YAML in a text area, started from
 * the manifest applied now (or empty), or loaded from a file on this computer; Apply stores it
 * (`PUT …/manifest`). A malformed one is refused with `SLW_MANIFEST_INVALID` and file:line:column
 * for each problem, and nothing is stored.
 */
import { useEffect, useState, type ChangeEvent, type FormEvent } from 'react';
import { put } from '../api';
import type { ProjectManifest } from '../types';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';

export function ManifestApply({ url, current, onApplied }: { url: string; current: ProjectManifest | undefined; onApplied(m: ProjectManifest): void }) {
  const [yaml, setYaml] = useState('');
  const [file, setFile] = useState('slipway.yaml');
  const [done, setDone] = useState<ProjectManifest | null>(null);
  // Open at first only while the project has no manifest; after that, as the user leaves it (an apply does not close it).
  const [open, setOpen] = useState<boolean | null>(null);
  const action = useAction();
  const applied = current?.applied ? current.yaml : '';
  useEffect(() => setYaml(applied), [applied]);
  const load = async (e: ChangeEvent<HTMLInputElement>) => {
    const picked = e.target.files?.[0];
    if (!picked) return;
    setYaml(await picked.text());
    setFile(picked.name);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const r = await action.run(() => put<ProjectManifest>(url, { yaml, file }));
    if (!r) return;
    setDone(r);
    onApplied(r);
  };
  return (
    <details className="card" open={open ?? current?.applied === false} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{current?.applied ? 'Edit and apply the manifest (slipway.yaml)' : 'Apply a manifest (slipway.yaml)'}</summary>
      <form onSubmit={submit} className="form" aria-label="Apply a manifest">
        <p className="muted small">Pipelines, the release step and gates. A project whose git source holds a slipway.yaml gets it from there on each build; applying here replaces what is stored until the next one.</p>
        <div>
          <label htmlFor="manifest-file">Load a file (optional)</label>
          <input id="manifest-file" type="file" accept=".yaml,.yml,text/yaml" onChange={(e) => void load(e)} />
        </div>
        <div>
          <label htmlFor="manifest-yaml">Manifest ({file})</label>
          <textarea id="manifest-yaml" value={yaml} onChange={(e) => setYaml(e.target.value)} rows={14} spellCheck={false} className="code" placeholder={'pipelines:\n  smoke:\n    jobs:\n      - name: hello\n        image: $build\n        command: echo hello'} />
        </div>
        <ErrorNote error={action.error} />
        <button type="submit" disabled={action.busy || yaml.trim() === ''}>
          Apply manifest
        </button>
        {done && (
          <p role="status" className="note">
            Applied {file}: {done.pipelines.length === 0 ? 'no pipelines' : `pipelines ${done.pipelines.map((p) => p.name).join(', ')}`}; {done.release ? `release step ${done.release.map((j) => j.name).join(', ')}` : 'no release step'}; gates for {Object.keys(done.gates).join(', ') || 'no environment'}.
          </p>
        )}
      </form>
    </details>
  );
}
