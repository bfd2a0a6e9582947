/** A project's images: versions, tags, digests, sizes, and which environments run each. */
import { get, path } from '../api';
import { ago, formatBytes } from '../format';
import type { Image } from '../types';
import { Badge, Digest, ErrorNote, Loading, Table } from '../ui/bits';
import { useLoad } from '../ui/hooks';
import { useChanges } from '../ui/live';

export function Images({ ws, project }: { ws: string; project: string }) {
  const url = `${path('workspaces', ws, 'projects', project)}/images`;
  const images = useLoad(() => get<{ repository: string; images: Image[] }>(url), url);
  useChanges(images.reload, (c) => c.project === project && c.kind === 'deployment' && c.status === 'succeeded');
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
      {images.data && list.length === 0 && <p className="muted">No images yet: <code>slipway build</code> makes one.</p>}
      {list.length > 0 && (
        <Table caption={'Images'} columns={['Version', 'Tags', 'Digest', 'Size', 'Created', 'Runs in']}>
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
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
