/**
 * A config layer's history (as `config history`): its versions, newest first, each with its
 * layer, when and by whom, and the keys it added, changed and removed (keys only: values are in
 * the releases that used them). Paged with the API's `next`, as `--before` pages.
 */
import { useEffect, useState } from 'react';
import { get } from '../api';
import { ago } from '../format';
import type { ConfigHistory as History } from '../types';
import { Badge, ErrorNote, Loading, Table } from '../ui/bits';
import { useLoad } from '../ui/hooks';

const pageSize = 20;

/** "added A, B; removed C": the keys a version touched, each in code. */
function Keys({ version: v }: { version: History['versions'][number] }) {
  const parts = ([['added', v.added], ['changed', v.changed], ['removed', v.removed]] as const).filter(([, keys]) => keys.length > 0);
  return (
    <>
      {parts.map(([verb, keys], i) => (
        <span key={verb}>
          {i > 0 && '; '}
          {verb}{' '}
          {keys.map((k, j) => (
            <span key={k}>
              {j > 0 && ', '}
              <code>{k}</code>
            </span>
          ))}
        </span>
      ))}
    </>
  );
}

/** `changes` counts the edits made on the page: each one shows the newest page again. */
export function ConfigHistory({ url, env, changes }: { url: string; env?: string; changes: number }) {
  const [before, setBefore] = useState<number[]>([]);
  useEffect(() => setBefore([]), [url, changes]);
  const page = before[before.length - 1];
  const history = useLoad(() => get<History>(url, { limit: pageSize, before: page }), `${url}?before=${page ?? ''}&n=${changes}`);
  const versions = history.data?.versions ?? [];
  return (
    <section aria-labelledby="config-history-title" className="panel-section" data-config-history>
      <h2 id="config-history-title">History</h2>
      <ErrorNote error={history.error} />
      {!history.data && !history.error && <Loading what="the history" />}
      {history.data && versions.length === 0 && <p className="muted">No config versions yet.</p>}
      {versions.length > 0 && (
        <Table caption={`Config versions${env ? ` of ${env} and the project base layer` : ' of the project base layer'}, newest first`} columns={['Version', 'Layer', 'When', 'By', 'Keys']}>
          {versions.map((v) => (
            <tr key={v.version} data-config-version={v.version}>
              <td>v{v.version}</td>
              <td>
                <Badge tone={v.layer === 'environment' ? 'info' : 'muted'}>{v.layer === 'environment' ? (env ?? 'environment') : 'project base'}</Badge>
              </td>
              <td>
                <time dateTime={v.at} title={v.at}>
                  {ago(v.at)}
                </time>
              </td>
              <td>{v.by ?? '—'}</td>
              <td>
                <Keys version={v} />
              </td>
            </tr>
          ))}
        </Table>
      )}
      <div className="actions">
        {history.data?.next != null && (
          <button type="button" className="ghost" onClick={() => setBefore([...before, history.data!.next!])}>
            Older versions
          </button>
        )}
        {before.length > 0 && (
          <button type="button" className="ghost" onClick={() => setBefore([])}>
            Newest versions
          </button>
        )}
      </div>
    </section>
  );
}
