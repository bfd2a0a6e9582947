/** A project's images: versions, tags, digests, sizes, and which environments run each; building one from an uploaded artifact; importing one built elsewhere; the retention policy. */
import { useState } from 'react';
import { get, path } from '../api';
import { ago, formatBytes } from '../format';
import type { Image, Project } from '../types';
import { Badge, Digest, ErrorNote, Loading, Table } from '../ui/bits';
import { useLoad } from '../ui/hooks';
import { useChanges } from '../ui/live';
import { BuildArtifact } from './BuildArtifact';
import { DeployDialog } from './DeployDialog';
import { ImportImage } from './ImportImage';
import { RegistryPolicy } from './RegistryPolicy';

export function Images({ ws, project }: { ws: string; project: string }) {
  const url = `${path('workspaces', ws, 'projects', project)}/images`;
  const images = useLoad(() => get<{ repository: string; images: Image[] }>(url), url);
  useChanges(images.reload, (c) => c.project === project && c.kind === 'deployment' && c.status === 'succeeded');
  const projectUrl = path('workspaces', ws, 'projects', project);
  const described = useLoad(() => get<Project>(projectUrl), projectUrl);
  const [deploying, setDeploying] = useState<Image | null>(null);
  const list = images.data?.images ?? [];
  return (
    <section aria-labelledby="images-title">
      <h1 id="images-title">Images of {project}</h1>
      {images.data && (
        <p className="muted">
          Repository <code>{images.data.repository}</code> in Slipway's registry.
        </p>
      )}
      <ErrorNote error={images.error} />
      {!images.data && !images.error && <Loading what="images" />}
      {images.data && list.length === 0 && <p className="muted">No images yet: build or import one below (or build from the project's git source).</p>}
      {list.length > 0 && (
        <Table caption={'Images'} columns={['Version', 'Tags', 'Digest', 'Size', 'Created', 'Runs in', '']}>
          {list.map((i) => (
            <tr key={i.digest} data-digest={i.digest}>
              <td>{i.version ?? 'untagged'}</td>
              <td>{i.tags.join(', ') || '—'}</td>
              <td>
                <Digest digest={i.digest} />
              </td>
              <td>{formatBytes(i.size)}</td>
              <td>{ago(i.createdAt)}</td>
              <td>{i.environments.length ? i.environments.map((e) => <Badge key={e} tone="info">{e}</Badge>) : <span className="muted">—</span>}</td>
              <td>
                <button type="button" className="ghost" onClick={() => setDeploying(i)} disabled={!described.data}>
                  Deploy…
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <BuildArtifact projectUrl={projectUrl} onBuilt={images.reload} />
      <ImportImage ws={ws} projectUrl={projectUrl} onImported={images.reload} />
      <RegistryPolicy projectUrl={projectUrl} />
      {deploying && described.data && <DeployDialog ws={ws} project={project} base={projectUrl} image={deploying} environments={described.data.environments} onClose={() => setDeploying(null)} />}
    </section>
  );
}
