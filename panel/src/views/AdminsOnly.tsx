/** What a token that may not see the instance's servers gets at their paths: why, what to sign in with instead, and where a workspace's dedicated servers are. */
import { Link } from '../ui/bits';

export function AdminsOnly() {
  return (
    <section aria-labelledby="admins-only-title">
      <h1 id="admins-only-title">Servers are for instance admins</h1>
      <p>
        Servers belong to the whole Slipway instance, so only an instance admin's token sees and manages them; this token does not (a workspace token never
        does, whoever made it). Sign out and sign in with an instance admin token: the first one is in <code>&lt;data-dir&gt;/admin-token</code> on the
        control plane.
      </p>
      <p>A workspace's owners see and manage the servers dedicated to it on the workspace's page, under Dedicated servers.</p>
      <p>
        <Link to="/">Go to your workspaces</Link>
      </p>
    </section>
  );
}
