/**
 * API token format. A token is `slw_` followed by 43 base64url characters (256 random bits).
 * Only its SHA-256 hash is stored; the first characters are kept to let people recognise it.
 *
 * @module
 */

/** Every Slipway API token starts with this. */
export const tokenPrefix = 'slw_';

const tokenPattern = /^slw_[A-Za-z0-9_-]{43}$/;

/** True when `value` has the shape of a Slipway token (it may still be unknown or revoked). */
export function looksLikeToken(value: string): boolean {
  return tokenPattern.test(value);
}

/** The recognisable, non-secret start of a token, e.g. `slw_AbC1dE2f`. */
export function tokenHint(token: string): string {
  return token.slice(0, tokenPrefix.length + 8);
}

/**
 * Parses a token lifetime such as `30d`, `12h` or `90m` into milliseconds.
 * Returns undefined when the text is not such a duration.
 */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}
