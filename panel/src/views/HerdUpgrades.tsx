/**
 * An application's herd upgrades (docs/herds.md), newest first: state, target version, progress,
 * failures against the budget, trigger and start; each links to its own page. Read again when the
 * workspace change stream says an upgrade of the application changed (one started elsewhere
 * too), and after a reconnect. Below, the form that previews (the waves, nothing started) or
 * starts a new one.
 */
import { get, path } from '../api';
import { ago } from '../format';
import { href, navigate } from '../router';
import type { ApplicationVersion, HerdUpgradeList } from '../types';
import { Badge, ErrorNote, Link, Loading, StatusBadge, Table } from '../ui/bits';
import { useLoad } from '../ui/hooks';
import { useUpgradeChanges } from '../ui/live';
import { NewUpgrade } from './NewUpgrade';

type Listed = HerdUpgradeList['upgrades'][number];

const progress = (u: Listed) => {
  const sites = u.waves.reduce((n, w) => n + w.sites, 0);
  const done = u.waves.reduce((n, w) => n + (w.steps.done ?? 0), 0);
  return `${done} of ${sites} done`;
};

export function HerdUpgrades({ ws, app, versions }: { ws: string; app: string; versions: ApplicationVersion[] }) {
  const base = path('workspaces', ws, 'applications', app, 'upgrades');
  const list = useLoad(() => get<HerdUpgradeList>(base), base);
  const upgrades = list.data?.upgrades ?? [];
  useUpgradeChanges(list.reload, (c) => c.application === app);
  const link = (id: string) => href('w', ws, 'apps', app, 'upgrades', id);
  return (
    <section aria-labelledby="upgrades-title">
      <h2 id="upgrades-title">Herd upgrades</h2>
      <p className="muted">An upgrade moves sites to a version in waves (canaries first, then batches): each site backed up, migrated, deployed and baked; a failed site is reverted and counts against the failure budget.</p>
      <ErrorNote error={list.error} />
      {!list.data && !list.error && <Loading what="herd upgrades" />}
      {list.data && upgrades.length === 0 && <p className="muted">No herd upgrades yet.</p>}
      {upgrades.length > 0 && (
        <Table caption={`Herd upgrades of ${app}, newest first`} columns={['Upgrade', 'State', 'To', 'Progress', 'Failures', 'Trigger', 'Started']}>
          {upgrades.map((u) => (
            <tr key={u.id} data-upgrade={u.id} data-state={u.state}>
              <td>
                <Link to={link(u.id)}>{u.id}</Link>
              </td>
              <td>
                <StatusBadge status={u.state} />
                {u.finishedAt === null && u.state !== 'running' && u.state !== 'paused' && <Badge tone="info">finishing</Badge>}
                {u.reason && <div className="muted small">{u.reason}</div>}
              </td>
              <td>{u.to}</td>
              <td>{progress(u)}</td>
              <td>
                {u.failures} of {u.failureBudget} tolerated
              </td>
              <td>{u.trigger}</td>
              <td title={u.createdAt}>{ago(u.createdAt)}</td>
            </tr>
          ))}
        </Table>
      )}
      <NewUpgrade ws={ws} app={app} versions={versions} onStarted={(u) => navigate(link(u.id))} />
    </section>
  );
}
