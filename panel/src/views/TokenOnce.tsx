/**
 * A new API token, shown once: the server keeps only its hash, so this card is the one place its
 * value can be read. It says so, offers it with a Copy button, and is gone when dismissed or
 * when the page is left.
 */
import type { CreatedToken } from '../types';
import { CopyField } from '../ui/copy';

export function TokenOnce({ token: t, onDone }: { token: CreatedToken; onDone(): void }) {
  return (
    <section className="card join-token" aria-labelledby="new-token-title" data-new-token={t.id}>
      <h3 id="new-token-title">New token {t.name}</h3>
      <p className="note">
        <strong>Shown only now.</strong> Slipway keeps only a hash of this token and cannot show it again: copy it before you leave this page. It acts as {t.user.email} with the role {t.role}
        {t.expiresAt ? (
          <>
            {' '}
            until <time dateTime={t.expiresAt}>{new Date(t.expiresAt).toLocaleString()}</time>
          </>
        ) : (
          ' and does not expire'
        )}
        . If it is lost, revoke it and create another.
      </p>
      <CopyField label="New API token" value={t.token} />
      <div className="actions">
        <button type="button" className="ghost" onClick={onDone}>
          I have copied it, hide the token
        </button>
      </div>
    </section>
  );
}
