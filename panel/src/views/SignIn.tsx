/** Sign-in with an API token (checked with GET /whoami before it is kept for this tab). */
import { useState, type FormEvent } from 'react';
import { api, type ApiError } from '../api';
import { saveToken } from '../session';
import type { Whoami } from '../types';
import { ErrorNote } from '../ui/bits';
import { toApiError } from '../ui/hooks';

export function SignIn({ onSignedIn, error: initial = null }: { onSignedIn(): void; error?: ApiError | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError | null>(initial);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api<Whoami>('GET', 'whoami', undefined, undefined, token.trim());
      saveToken(token.trim());
      onSignedIn();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin" id="main">
      <form onSubmit={submit} className="card" aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to Slipway</h1>
        <p className="muted">
          Paste an API token. <code>slipway token create</code> makes one; the first admin's is in <code>.slipway/admin-token</code>. It is kept in this tab only and forgotten when you sign out.
        </p>
        <label htmlFor="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" spellCheck={false} value={token} onChange={(e) => setToken(e.target.value)} required autoFocus />
        <ErrorNote error={error} />
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
