/** Server labels as typed in the panel: `KEY=VALUE` pairs separated by spaces or commas. Pure; the API validates keys and values. */
export function parseLabels(text: string): { labels: Record<string, string> } | { error: string } {
  const labels: Record<string, string> = {};
  for (const pair of text.split(/[\s,]+/).filter(Boolean)) {
    const i = pair.indexOf('=');
    if (i <= 0) return { error: `label '${pair}' is not KEY=VALUE (e.g. region=eu zone=a)` };
    labels[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return { labels };
}

/**
 * Site labels as typed: `region=eu, plan=gold` (commas or spaces between). A term without `=` is
 * kept whole (the key, an empty value) for the API to refuse with its code (SLW_INVALID_LABEL).
 */
export function labelTerms(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const term of text.split(/[,\s]+/).filter(Boolean)) {
    const eq = term.indexOf('=');
    out[eq < 0 ? term : term.slice(0, eq)] = eq < 0 ? '' : term.slice(eq + 1);
  }
  return out;
}

/** Labels as the panel shows them in a field: `plan=gold, region=eu`. */
export const labelText = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** The edits (as `slipway site set --label k=v --label k-` sends them) that turn `before` into the labels typed: new and changed ones set, missing ones removed. */
export function labelEdits(before: Record<string, string>, text: string): { set: Record<string, string>; unset: string[] } {
  const after = labelTerms(text);
  const set = Object.fromEntries(Object.entries(after).filter(([k, v]) => before[k] !== v));
  const unset = Object.keys(before).filter((k) => !Object.hasOwn(after, k));
  return { set, unset };
}
