/**
 * The one server-sent events parser (the WHATWG event-stream format), shared by the CLI
 * (src/cli/sse.ts), the panel (panel/src/sse.ts) and the tests: feed it text as it arrives, get
 * whole events out. Pure TypeScript with no Node or DOM import, so the panel bundles it and it is
 * tested without a browser; each caller decodes its own bytes.
 *
 * @module
 */
export interface SseEvent {
  type: string;
  data: string;
  id: string | null;
}

export class SseParser {
  private buffer = '';
  private type = '';
  private data: string[] = [];
  private id: string | null = null;
  /** The last `id:` seen (what a reconnect sends as Last-Event-ID). */
  lastId: string | null = null;
  /** The server's `retry:` advice in ms, if it gave one. */
  retryMs: number | null = null;

  push(text: string): SseEvent[] {
    this.buffer += text;
    const out: SseEvent[] = [];
    let nl: number;
    while ((nl = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      const width = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      // A lone \r at the very end may be the first half of \r\n: wait for more text.
      if (this.buffer[nl] === '\r' && nl + 1 === this.buffer.length) break;
      this.buffer = this.buffer.slice(nl + width);
      const event = this.line(line);
      if (event) out.push(event);
    }
    return out;
  }

  private line(line: string): SseEvent | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.type = '';
        return null;
      }
      const event = { type: this.type || 'message', data: this.data.join('\n'), id: this.id };
      this.type = '';
      this.data = [];
      return event;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.type = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = this.lastId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return null;
  }
}
