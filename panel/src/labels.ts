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
