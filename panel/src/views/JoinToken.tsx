/** A join token, shown once (ShownOnce): the join command and the token, each with Copy. */
import type { JoinTokenInfo } from '../types';
import { CopyField } from '../ui/copy';
import { ShownOnce } from '../ui/shown-once';

export function JoinToken({ token: t, onDone }: { token: JoinTokenInfo; onDone(): void }) {
  const note = (
    <>
      copy the command before you leave this page. It works once and expires at <time dateTime={t.expiresAt}>{new Date(t.expiresAt).toLocaleString()}</time>. If it is lost or expires, ask for a new join token on the
      server's page while it is pending.
    </>
  );
  return (
    <ShownOnce id="join-token-title" title={`Join token for ${t.server.name}`} note={note} data={{ 'data-join-token': t.server.name }} onDone={onDone}>
      <CopyField label="Join command (run it on the server)" value={t.joinCommand} />
      <CopyField label="Join token" value={t.joinToken} />
    </ShownOnce>
  );
}
