/** Saves a Blob the page fetched (with its bearer token) as a file: a download link to an object URL, clicked once, then let go. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has taken the download by then; the object URL only holds the bytes in memory.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
