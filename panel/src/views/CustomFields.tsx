/**
 * The fields of a custom image to run: its port, health check, where its volume goes, the scheme
 * of NAME_URL, and its variables as KEY=VALUE lines (write-only: a password-like text area the
 * form clears once sent; the server stores them encrypted and shows their names only).
 */
import type { CreateServiceBody } from '../types';

export interface CustomDraft {
  port: string;
  health: string;
  volume: string;
  scheme: string;
  env: string;
}

export const emptyCustom: CustomDraft = { port: '', health: '', volume: '', scheme: '', env: '' };

/** KEY=VALUE lines (blank lines and # comments skipped); a line without `=` is sent as a key with an empty name, which the server refuses with its code. */
function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const i = line.indexOf('=');
    out[i < 0 ? line.trim() : line.slice(0, i).trim()] = i < 0 ? '' : line.slice(i + 1);
  }
  return out;
}

export function customBody(d: CustomDraft): Partial<CreateServiceBody> {
  const env = parseEnv(d.env);
  return {
    port: Number(d.port.trim()),
    ...(d.health.trim() ? { health: d.health.trim() } : {}),
    ...(d.volume.trim() ? { volume: d.volume.trim() } : {}),
    ...(d.scheme.trim() ? { scheme: d.scheme.trim() } : {}),
    ...(Object.keys(env).length > 0 ? { env } : {}),
  };
}

export function CustomFields({ draft, onChange }: { draft: CustomDraft; onChange(d: CustomDraft): void }) {
  const set = (key: keyof CustomDraft) => (e: { target: { value: string } }) => onChange({ ...draft, [key]: e.target.value });
  return (
    <>
      <div>
        <label htmlFor="service-port">Port</label>
        <input id="service-port" inputMode="numeric" value={draft.port} onChange={set('port')} required spellCheck={false} placeholder="7700" />
      </div>
      <div>
        <label htmlFor="service-health">Health check (optional)</label>
        <input id="service-health" value={draft.health} onChange={set('health')} spellCheck={false} placeholder="tcp or http:/health" />
      </div>
      <div>
        <label htmlFor="service-volume">Volume path (optional)</label>
        <input id="service-volume" value={draft.volume} onChange={set('volume')} spellCheck={false} placeholder="/data" />
      </div>
      <div>
        <label htmlFor="service-url-scheme">URL scheme (optional)</label>
        <input id="service-url-scheme" value={draft.scheme} onChange={set('scheme')} spellCheck={false} placeholder="http" />
      </div>
      <div className="wide">
        <label htmlFor="service-env">Variables, KEY=VALUE per line (write-only)</label>
        <textarea id="service-env" className="secret" value={draft.env} onChange={set('env')} spellCheck={false} autoComplete="off" rows={3} placeholder="MEILI_MASTER_KEY=…" />
      </div>
    </>
  );
}
