/**
 * A join token, shown once: the server keeps only its hash, so this card is the one place it
 * can be read. It says so, offers the join command and the token with Copy buttons, and is
 * gone when dismissed or when the page is left.
 */
import type { JoinTokenInfo } from '../types';
import { CopyField } from '../ui/copy';

export function JoinToken({ token: t, onDone }: { token: JoinTokenInfo; onDone(): void }) {
  return (
    <section className="card join-token" aria-labelledby="join-token-title" data-join-token={t.server.name}>
      <h2 id="join-token-title">Join token for {t.server.name}</h2>
      <p className="note">
        <strong>Shown only now.</strong> Slipway keeps only a hash of this token and cannot show it again: copy the command before you leave this page. It
        works once and expires at <time dateTime={t.expiresAt}>{new Date(t.expiresAt).toLocaleString()}</time>. If it is lost or expires, ask for a new join token on the server's page while it is pending.
      </p>
      <CopyField label="Join command (run it on the server)" value={t.joinCommand} />
      <CopyField label="Join token" value={t.joinToken} />
      <div className="actions">
        <button type="button" className="ghost" onClick={onDone}>
          I have copied it, hide the token
        </button>
      </div>
    </section>
  );
}
