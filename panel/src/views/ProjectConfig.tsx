/**
 * A project's base layer (as `config` and `secret` without `-e`): the config keys and secrets
 * every environment of the project inherits unless it sets them itself, edited here, with the
 * layer's history.
 */
import { href } from '../router';
import { Link } from '../ui/bits';
import { Config } from './Config';
import { Secrets } from './Secrets';

export function ProjectConfig({ ws, project }: { ws: string; project: string }) {
  return (
    <section aria-labelledby="base-title">
      <h1 id="base-title">{project}: base config and secrets</h1>
      <p className="muted">
        Shared by every environment of <Link to={href('w', ws, 'p', project)}>{project}</Link>; an environment's own value of a key or secret wins (its Config and Secrets tabs).
      </p>
      <section aria-labelledby="base-config-title" className="panel-section">
        <h2 id="base-config-title">Config</h2>
        <Config ws={ws} project={project} />
      </section>
      <section aria-labelledby="base-secrets-title" className="panel-section">
        <h2 id="base-secrets-title">Secrets</h2>
        <Secrets ws={ws} project={project} />
      </section>
    </section>
  );
}
