/**
 * One setting's field: its label, the value typed (empty: leave it as it is) and, under it, what
 * the setting is now. A text field and a choice ("leave as it is" first).
 */
import type { ReactNode } from 'react';

interface Common {
  id: string;
  label: string;
  /** What the setting is now (left out where a group says it once). */
  now?: string;
  hint?: ReactNode;
  disabled?: boolean;
  wide?: boolean;
}

function Now({ id, now, hint }: { id: string; now?: string; hint?: ReactNode }) {
  return (
    <div id={`${id}-now`} className="muted small">
      {now !== undefined && (
        <>
          now: <span data-now={id}>{now}</span>
        </>
      )}
      {now !== undefined && hint && ' · '}
      {hint}
    </div>
  );
}

/** `after`: what goes under the field in its cell (a checkbox that puts the setting back to its default). */
export function TextSetting({ id, label, now, hint, disabled, wide, value, onChange, numeric, after }: Common & { value: string; onChange(value: string): void; numeric?: boolean; after?: ReactNode }) {
  return (
    <div className={wide ? 'wide' : undefined}>
      <label htmlFor={id}>{label}</label>
      <input id={id} value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled} spellCheck={false} autoCapitalize="off" inputMode={numeric ? 'numeric' : undefined} placeholder="unchanged" aria-describedby={`${id}-now`} />
      <Now id={id} now={now} hint={hint} />
      {after}
    </div>
  );
}

export function ChoiceSetting<T extends string>({ id, label, now, hint, disabled, value, onChange, options }: Common & { value: T | ''; onChange(value: T | ''): void; options: readonly (readonly [T, string])[] }) {
  return (
    <div>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as T | '')} disabled={disabled} aria-describedby={`${id}-now`}>
        <option value="">leave as it is</option>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
      <Now id={id} now={now} hint={hint} />
    </div>
  );
}
