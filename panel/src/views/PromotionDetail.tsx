/**
 * One promotion or approval request (as `promotion show ID`): what it changes, the image, its
 * status, who asked and when, who decided, each gate's state, its deployment and reason.
 */
import { get, path } from '../api';
import { ago } from '../format';
import { href } from '../router';
import type { Promotion } from '../types';
import { Digest, ErrorNote, Link, Loading, StatusBadge, Table } from '../ui/bits';
import { useLoad } from '../ui/hooks';
import { PromotionGates } from './Gates';

export function PromotionDetail({ ws, id }: { ws: string; id: string }) {
  const url = path('workspaces', ws, 'promotions', id);
  const p = useLoad(() => get<Promotion>(url), url);
  const d = p.data;
  return (
    <section aria-labelledby="promotion-title" data-promotion-detail={id}>
      <h1 id="promotion-title">Request {id}</h1>
      <ErrorNote error={p.error} />
      {!d && !p.error && <Loading what="the request" />}
      {d && (
        <>
          <Table caption="The request, as promotion show lists it" columns={['Field', 'Value']}>
            <tr data-field="kind">
              <th scope="row">kind</th>
              <td>{d.kind}</td>
            </tr>
            <tr data-field="what">
              <th scope="row">what</th>
              <td>
                {d.kind === 'promotion' ? `${d.project}: ${d.from} (release #${d.fromRelease}) → ${d.to}` : `${d.project}/${d.to}`}
                {d.kind === 'rollback' ? ` (to release #${d.fromRelease})` : ''}
              </td>
            </tr>
            <tr data-field="image">
              <th scope="row">image</th>
              <td>
                {d.version ?? 'untagged'} <Digest digest={d.imageDigest} />
              </td>
            </tr>
            <tr data-field="status">
              <th scope="row">status</th>
              <td>
                <StatusBadge status={d.status} />
              </td>
            </tr>
            <tr data-field="requested">
              <th scope="row">requested</th>
              <td>
                by {d.requestedBy ?? 'a token'}{' '}
                <time dateTime={d.createdAt} title={d.createdAt}>
                  {ago(d.createdAt)}
                </time>
              </td>
            </tr>
            <tr data-field="decided">
              <th scope="row">decided</th>
              <td>{d.decidedAt ? `by ${d.decidedBy ?? 'a token'} ${ago(d.decidedAt)}` : '—'}</td>
            </tr>
            <tr data-field="gates">
              <th scope="row">gates</th>
              <td>
                <PromotionGates p={d} />
              </td>
            </tr>
            <tr data-field="deployment">
              <th scope="row">deployment</th>
              <td>{d.deploymentId ? <Link to={href('w', ws, 'deployments', d.deploymentId)}>{d.deploymentId}</Link> : '—'}</td>
            </tr>
            <tr data-field="reason">
              <th scope="row">reason</th>
              <td>{d.reason ?? '—'}</td>
            </tr>
          </Table>
          <p>
            <Link to={href('w', ws, 'p', d.project)}>Back to the pipeline of {d.project}</Link>
          </p>
        </>
      )}
    </section>
  );
}
