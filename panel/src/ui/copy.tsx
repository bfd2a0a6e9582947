/**
 * A read-only text with a Copy button. The clipboard API needs a secure context (HTTPS or
 * loopback); elsewhere the text is selected and copied the old way, and if even that fails the
 * button says so and the text stays selected for Ctrl+C.
 */
import { useId, useRef, useState } from 'react';

export function CopyField({ label, value }: { label: string; value: string }) {
  const id = useId();
  const ref = useRef<HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState<'copied' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('copied');
    } catch {
      ref.current?.select();
      setCopied(document.execCommand('copy') ? 'copied' : 'failed');
    }
  };
  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        <textarea id={id} ref={ref} readOnly rows={Math.min(8, Math.ceil(value.length / 72) + 1)} value={value} spellCheck={false} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" className="ghost" onClick={() => void copy()}>
          Copy<span className="sr-only"> {label.toLowerCase()}</span>
        </button>
      </div>
      <span role="status" className="muted small">
        {copied === 'copied' ? 'Copied.' : copied === 'failed' ? 'Could not copy: the text is selected, press Ctrl+C.' : ''}
      </span>
    </div>
  );
}
