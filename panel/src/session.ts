/**
 * The signed-in token, kept in this tab's session storage only: closing the tab or signing out
 * forgets it. (User accounts with passwords will replace this later; the API stays the same.)
 */
const key = 'slipway.token';

export function readToken(): string | null {
  return sessionStorage.getItem(key);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(key, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(key);
}
