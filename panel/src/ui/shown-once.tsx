/**
 * A secret shown once (a new API token, a join token): the server keeps only its hash, so this
 * card is the one place it can be read. It says so, offers its values with Copy buttons (the
 * children), and is gone when dismissed or when the page is left.
 */
import type { ReactNode } from 'react';

export function ShownOnce({ id, title, level = 2, note, data, children, onDone }: { id: string; title: string; level?: 2 | 3; note: ReactNode; /** data-* attributes that name the card */ data: Record<string, string>; children: ReactNode; onDone(): void }) {
  const Heading = level === 2 ? 'h2' : 'h3';
  return (
    <section className="card join-token" aria-labelledby={id} {...data}>
      <Heading id={id}>{title}</Heading>
      <p className="note">
        <strong>Shown only now.</strong> Slipway keeps only a hash of this token and cannot show it again: {note}
      </p>
      {children}
      <div className="actions">
        <button type="button" className="ghost" onClick={onDone}>
          I have copied it, hide the token
        </button>
      </div>
    </section>
  );
}
