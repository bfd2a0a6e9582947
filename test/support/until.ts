/** Waits until `check` holds, looking every 500 ms; after `timeoutMs` fails naming `what` and, if given, what `explain` says then. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, explain?: () => Promise<string>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting until ${what}${explain ? `: ${await explain().catch((e: unknown) => String(e))}` : ''}`);
}
