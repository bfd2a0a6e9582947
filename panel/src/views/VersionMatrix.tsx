/**
 * An application's versions × sites: each version (class, channel, latest, digest) with how many
 * sites run it and, opened, their names (the first 50, then "+N more"); the sites on no version,
 * and on a tag that is not a version of the application, counted too. Counts come from the
 * server (GET …/versions/sites), so a herd of thousands is a few rows; they follow the live
 * stream's deploys of the project (at most one reload every 2 s). A channel picked shows only its
 * versions, as `app versions --channel C` lists them (GET …/versions?channel=C).
 */
import { useState } from 'react';
import { get, path } from '../api';
import { capNames } from '../herd';
import { href } from '../router';
import type { ApplicationVersion, ApplicationVersionList, VersionSites } from '../types';
import { Badge, Digest, ErrorNote, Link, Table } from '../ui/bits';
import { useLoad, useThrottled } from '../ui/hooks';
import { useChanges } from '../ui/live';

const cap = 50;
type Group = VersionSites['versions'][number];

export function VersionMatrix({ ws, app, project, versions: loaded }: { ws: string; app: string; project: string | undefined; versions: ApplicationVersion[] | undefined }) {
  const all = loaded ?? [];
  const [channel, setChannel] = useState('');
  const channels = [...new Set(all.map((v) => v.channel))].sort();
  const listUrl = `${path('workspaces', ws, 'applications', app)}/versions`;
  // Read again when the whole list changes (a poll imported a version).
  const ofChannel = useLoad(() => (channel ? get<ApplicationVersionList>(listUrl, { channel }) : Promise.resolve(undefined)), `${listUrl}?channel=${channel}&of=${all.map((v) => v.version).join(',')}`);
  const versions = channel ? (ofChannel.data?.versions ?? []) : all;
  const url = `${listUrl}/sites`;
  const counts = useLoad(() => get<VersionSites>(url, { names: cap }), url);
  const reload = useThrottled(counts.reload, 2000);
  useChanges(reload, (c) => c.kind === 'deployment' && c.project === project && c.status === 'succeeded');
  const groups = new Map((counts.data?.versions ?? []).map((g) => [g.version, g]));
  const known = new Set(all.map((v) => v.version));
  // The rows without a channel (not a version, none yet) only when every channel is shown.
  const others = channel ? [] : (counts.data?.versions ?? []).filter((g) => g.version !== null && !known.has(g.version));
  const none = channel ? undefined : groups.get(null);
  const total = counts.data?.total;
  const latest = all.find((v) => v.latest);
  const onLatest = latest ? (groups.get(latest.version)?.sites ?? 0) : 0;
  const sitesCell = (g: Group | undefined, what: string) => <SitesCell ws={ws} project={project} group={g} what={what} />;
  // The section has no accessible name: "Version" is the site form's label, and stays the only one.
  return (
    <section>
      <h2>Versions and their sites</h2>
      <ErrorNote error={counts.error} />
      {total !== undefined && total > 0 && (
        <p className="muted" data-summary="sites">
          {total} site{total === 1 ? '' : 's'}
          {latest ? `: ${onLatest} on the latest (${latest.version}), ${total - onLatest - (none?.sites ?? 0)} on other versions` : ''}
          {none ? `, ${none.sites} on none yet` : ''}.
        </p>
      )}
      {loaded && all.length === 0 && <p className="muted">No versions yet: semver tags such as 1.4.2 are versions; other tags are builds.</p>}
      {all.length > 0 && (
        <p className="inline-form channel-filter">
          <span aria-hidden="true">Show</span>
          <select value={channel} onChange={(e) => setChannel(e.target.value)} aria-label="Show versions on channel">
            <option value="">every channel ({all.length})</option>
            {channels.map((c) => (
              <option key={c} value={c}>
                {c} ({all.filter((v) => v.channel === c).length})
              </option>
            ))}
          </select>
          {channel && ofChannel.loading && <span className="muted">reading the {channel} versions…</span>}
        </p>
      )}
      <ErrorNote error={ofChannel.error} />
      {(versions.length > 0 || others.length > 0 || none) && (
        <Table caption={`Versions of ${app}${channel ? ` on channel ${channel}` : ''}, highest first, with the sites on each`} columns={['Version', 'Class', 'Channel', 'Digest', 'Sites', 'Seen']}>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version}>
              <td>
                {v.version} {v.latest && <Badge tone="ok">latest</Badge>}
              </td>
              <td>{v.class}</td>
              <td>{v.stable ? 'stable' : <Badge tone="info">{v.channel}</Badge>}</td>
              <td>
                <Digest digest={v.digest} />
              </td>
              <td>{sitesCell(groups.get(v.version), `on ${v.version}`)}</td>
              <td>{v.discoveredAt}</td>
            </tr>
          ))}
          {others.map((g) => (
            <tr key={`other-${g.version}`} data-other-version={g.version}>
              <td>
                {g.version} <Badge tone="muted">not a version</Badge>
              </td>
              <td colSpan={3} className="muted">
                a build tag, or a version the application no longer lists
              </td>
              <td>{sitesCell(g, `on ${g.version}`)}</td>
              <td />
            </tr>
          ))}
          {none && (
            <tr data-no-version="">
              <td>
                <em>none yet</em>
              </td>
              <td colSpan={3} className="muted">
                created without a deploy, or its first deploy has not succeeded
              </td>
              <td>{sitesCell(none, 'on no version')}</td>
              <td />
            </tr>
          )}
        </Table>
      )}
    </section>
  );
}

function SitesCell({ ws, project, group, what }: { ws: string; project: string | undefined; group: Group | undefined; what: string }) {
  if (!group || group.sites === 0) return <span className="muted">0</span>;
  const { shown, more } = capNames(group.names, cap, group.sites);
  return (
    <details className="site-names">
      <summary aria-label={`${group.sites} site${group.sites === 1 ? '' : 's'} ${what}`}>
        <strong className="count">{group.sites}</strong> site{group.sites === 1 ? '' : 's'}
      </summary>
      <ul className="plain names">
        {shown.map((name) => (
          <li key={name}>{project ? <Link to={href('w', ws, 'p', project, 'e', name)}>{name}</Link> : name}</li>
        ))}
        {more > 0 && <li className="muted">+{more} more</li>}
      </ul>
    </details>
  );
}
