/** One environment: its releases (with roll back), its config, its secrets, its attached services, its settings and its containers' output, as tabs. */
import { href, type EnvironmentTab } from '../router';
import { Link } from '../ui/bits';
import { Config } from './Config';
import { Releases } from './Releases';
import { Secrets } from './Secrets';
import { Attachments } from './Attachments';
import { EnvSettings } from './EnvSettings';
import { EnvLogs } from './EnvLogs';

const tabs = [
  { id: 'releases', label: 'Releases' },
  { id: 'config', label: 'Config' },
  { id: 'secrets', label: 'Secrets' },
  { id: 'services', label: 'Services' },
  { id: 'settings', label: 'Settings' },
  { id: 'logs', label: 'Logs' },
] as const;

export function Environment({ ws, project, env, tab }: { ws: string; project: string; env: string; tab: EnvironmentTab }) {
  const base = href('w', ws, 'p', project, 'e', env);
  return (
    <section aria-labelledby="env-title">
      <h1 id="env-title">
        {project} / {env}
      </h1>
      <nav aria-label="Environment" className="tabs">
        {tabs.map((t) => (
          <Link key={t.id} to={t.id === 'releases' ? base : `${base}/${t.id}`} className={t.id === tab ? 'tab current' : 'tab'}>
            <span aria-current={t.id === tab ? 'page' : undefined}>{t.label}</span>
          </Link>
        ))}
      </nav>
      {tab === 'releases' && <Releases ws={ws} project={project} env={env} />}
      {tab === 'config' && <Config ws={ws} project={project} env={env} />}
      {tab === 'secrets' && <Secrets ws={ws} project={project} env={env} />}
      {tab === 'services' && <Attachments ws={ws} project={project} env={env} />}
      {tab === 'settings' && <EnvSettings ws={ws} project={project} env={env} />}
      {tab === 'logs' && <EnvLogs ws={ws} project={project} env={env} />}
    </section>
  );
}
