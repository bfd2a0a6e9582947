/**
 * The header's "who you are", as `slipway whoami` says it (GET /api/v1/whoami): the user's
 * e-mail, and opened, the token in use: its id, its scope (the instance or one workspace) and its
 * role (an instance token has none: it acts as its user in each workspace).
 */
import type { Whoami } from '../types';

export function WhoAmI({ me }: { me: Whoami }) {
  const { user, token } = me;
  return (
    <details className="me">
      <summary aria-label={`Signed in as ${user.email}: your token`}>
        <span className="email">{user.email}</span>
        <span className="me-short" aria-hidden="true">
          Me
        </span>
      </summary>
      <dl className="facts me-card" aria-label="Your token" data-token={token.id}>
        <dt>User</dt>
        <dd>
          {user.email}
          {user.instanceAdmin ? ' (instance admin)' : ''}
        </dd>
        <dt>Token</dt>
        <dd>
          <code>{token.id}</code>
        </dd>
        <dt>Scope</dt>
        <dd data-token-scope="">{token.scope === 'instance' ? 'instance token' : 'workspace token'}</dd>
        <dt>Role</dt>
        <dd data-token-role="">{token.role ?? 'none: acts as its user, with the user’s role in each workspace'}</dd>
      </dl>
    </details>
  );
}
