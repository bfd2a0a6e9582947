/** A new API token, shown once (ShownOnce): who it acts as, its role and when it expires. */
import type { CreatedToken } from '../types';
import { CopyField } from '../ui/copy';
import { ShownOnce } from '../ui/shown-once';

export function TokenOnce({ token: t, onDone }: { token: CreatedToken; onDone(): void }) {
  const note = (
    <>
      copy it before you leave this page. It acts as {t.user.email} with the role {t.role}
      {t.expiresAt ? (
        <>
          {' '}
          until <time dateTime={t.expiresAt}>{new Date(t.expiresAt).toLocaleString()}</time>
        </>
      ) : (
        ' and does not expire'
      )}
      . If it is lost, revoke it and create another.
    </>
  );
  return (
    <ShownOnce id="new-token-title" title={`New token ${t.name}`} level={3} note={note} data={{ 'data-new-token': t.id }} onDone={onDone}>
      <CopyField label="New API token" value={t.token} />
    </ShownOnce>
  );
}
