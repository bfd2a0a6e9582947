/**
 * The panel's browser tests: Debian's Chromium driven headless by playwright-core, and a record
 * of every API response body a page receives (through the Chrome DevTools protocol, so the
 * bodies of server-sent event streams are read too, as they arrive), for checks such as "no
 * secret value ever reached the browser".
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

/** Where tests put screenshots (test-results/ is not committed; CI keeps it as an artifact). */
export const screenshotDir = join(import.meta.dirname, '../../test-results/panel');

/** Chromium, headless; an uncaught error of any page it opens is written to the test's stderr (a failing test then says why its page went blank). */
export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // As root in a sandbox without a GPU; no background traffic to hosts this machine cannot reach.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...options) => {
    const context = await newContext(...options);
    context.on('weberror', (e) => process.stderr.write(`[browser] uncaught error on ${e.page()?.url() ?? 'a page'}: ${e.error().stack ?? e.error().message}\n`));
    return context;
  };
  return browser;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const file = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface RecordedResponse {
  url: string;
  status: number;
  mimeType: string;
  body: string;
}

export interface ResponseRecorder {
  /** Every API response so far; event streams with what has arrived of them. */
  responses(): Promise<RecordedResponse[]>;
}

/** Records the body of every response under /api/ that `page` receives from now on. */
export async function recordApiResponses(page: Page): Promise<ResponseRecorder> {
  const cdp = await page.context().newCDPSession(page);
  const seen = new Map<string, RecordedResponse>();
  const reads: Promise<unknown>[] = [];
  const send = cdp.send.bind(cdp) as (method: string, params: Record<string, unknown>) => Promise<Record<string, unknown>>;
  cdp.on('Network.responseReceived', (e) => {
    if (!new URL(e.response.url).pathname.startsWith('/api/')) return;
    const r: RecordedResponse = { url: e.response.url, status: e.response.status, mimeType: e.response.mimeType, body: '' };
    seen.set(e.requestId, r);
    if (e.response.mimeType === 'text/event-stream') {
      // From here on Network.dataReceived carries the stream's bytes; what came before is buffered.
      reads.push(
        send('Network.streamResourceContent', { requestId: e.requestId })
          .then((x) => (r.body = Buffer.from(String(x.bufferedData ?? ''), 'base64').toString('utf8') + r.body))
          .catch(() => undefined),
      );
    }
  });
  cdp.on('Network.dataReceived', (e) => {
    const r = seen.get(e.requestId);
    const data = (e as { data?: string }).data;
    if (r && data) r.body += Buffer.from(data, 'base64').toString('utf8');
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = seen.get(e.requestId);
    if (!r || r.mimeType === 'text/event-stream') return;
    reads.push(
      send('Network.getResponseBody', { requestId: e.requestId })
        .then((x) => (r.body = x.base64Encoded ? Buffer.from(String(x.body), 'base64').toString('utf8') : String(x.body)))
        .catch(() => undefined),
    );
  });
  await cdp.send('Network.enable', { maxTotalBufferSize: 64 * 1024 * 1024, maxResourceBufferSize: 16 * 1024 * 1024 });
  return {
    responses: async () => {
      await Promise.all(reads);
      return [...seen.values()];
    },
  };
}

/** After a failed test: a screenshot of every page still open (`<prefix>failed-<test>-<n>.png`), to see what the browser showed. */
export async function screenshotOnFailure(ctx: { task: { name: string; result?: { state?: string } } }, pages: Iterable<Page>, prefix = ''): Promise<void> {
  if (ctx.task.result?.state !== 'fail') return;
  let i = 0;
  for (const page of pages) if (!page.isClosed()) await screenshot(page, `${prefix}failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}-${i++}`).catch(() => undefined);
}

/** Opens `url` signed out, signs in with `token` (typed into the token field, Enter), and waits until the panel shows Sign out. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('API token').fill(token);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 60_000 });
}
