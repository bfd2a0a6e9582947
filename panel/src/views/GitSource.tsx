/**
 * A project's git source in the project view: the linked repository (the credential only as
 * set or none: it is write-only; branch environments, runtime, base), a form to link it or to
 * change the link, unlink, building a ref now, and the recent git builds with their logs.
 */
import { useState } from 'react';
import { del, get, path } from '../api';
import type { GitSourceInfo } from '../types';
import { Badge, ErrorNote } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { GitBuilds } from './GitBuilds';
import { GitLinkForm } from './GitLinkForm';

export function GitSource({ ws, project, onBuilt }: { ws: string; project: string; onBuilt?: () => void }) {
  const url = `${path('workspaces', ws, 'projects', project)}/git`;
  const source = useLoad(() => get<GitSourceInfo>(url).catch((e: { code?: string }) => (e.code === 'SLW_GIT_NOT_LINKED' ? null : Promise.reject(e))), url);
  const [editing, setEditing] = useState(false);
  const action = useAction();
  const s = source.data;
  return (
    <section className="card" aria-labelledby="git-title" data-git-source>
      <h2 id="git-title">Git source</h2>
      <ErrorNote error={source.error} />
      {s && !editing && (
        <>
          <p>
            <code>{s.url}</code> · branch <code>{s.branch}</code> · credential <Badge tone={s.credential === 'set' ? 'info' : 'muted'}>{s.credential}</Badge>
            {s.branchEnvs.length > 0 && <> · branch environments {s.branchEnvs.join(', ')}</>} · runtime {s.runtime ?? 'detected'}
            {s.base && (
              <>
                {' '}
                · base <code>{s.base}</code>
              </>
            )}
          </p>
          <div className="actions">
            <button type="button" className="ghost" onClick={() => setEditing(true)}>
              Change link
            </button>
            <button type="button" className="ghost danger" disabled={action.busy} onClick={() => void action.run(() => del(url)).then(source.reload)}>
              Unlink
            </button>
          </div>
        </>
      )}
      {(source.data === null || (s && editing)) && (
        <GitLinkForm
          key={s?.updatedAt ?? 'new'}
          url={url}
          current={s ?? null}
          onSaved={() => (setEditing(false), source.reload())}
          onCancel={s ? () => setEditing(false) : undefined}
        />
      )}
      <ErrorNote error={action.error} />
      {s && <GitBuilds ws={ws} url={url} branch={s.branch} onBuilt={onBuilt} />}
    </section>
  );
}
