/**
 * A form that creates something by name (a project, an environment): the API's refusal (a taken
 * or invalid name, a tier that allows no custom environment, a role too low) is shown with its
 * code and the typed name stays; once created, the field is emptied and what was made is said.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { ErrorNote } from '../ui/bits';
import { useAction } from '../ui/hooks';

export function NameForm(props: { id: string; title: string; children?: ReactNode; placeholder: string; button: string; busy: string; create(name: string): Promise<string> }) {
  const { id, title, placeholder, button, busy, create } = props;
  const [name, setName] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const note = await action.run(() => create(name.trim()));
    if (note === undefined) return;
    setName('');
    setDone(note);
  };
  return (
    <form onSubmit={submit} className="card form" aria-labelledby={`${id}-title`} autoComplete="off">
      <h2 id={`${id}-title`}>{title}</h2>
      {props.children}
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} required spellCheck={false} placeholder={placeholder} />
      <ErrorNote error={action.error} />
      {done && (
        <p className="muted" role="status">
          {done}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={action.busy || name.trim() === ''}>
          {action.busy ? busy : button}
        </button>
      </div>
    </form>
  );
}
