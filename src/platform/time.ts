/** The current time as ISO-8601 UTC text, the form every timestamp is stored in. */
export function nowIso(): string {
  return new Date().toISOString();
}
