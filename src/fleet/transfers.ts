/**
 * Volume transfers between the control plane and a server's agent, off the session's WebSocket
 * (which carries heartbeats and must stay small): the control plane opens a transfer (an id
 * nobody can guess, bound to one server), asks the agent by a command to read or write the
 * volume, and the agent streams the tar over its own mTLS connection to the gateway — `PUT
 * /v1/transfers/{id}` (an export: the volume's tar, read here as it arrives) or `GET
 * /v1/transfers/{id}` (an import: the tar sent from here). Each transfer is used once; one the
 * agent does not start within {@link startWithinMs} fails, and so does one whose stream breaks.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SlipwayError } from '../core/errors.js';

/** How long an agent has to start a transfer it was asked for. */
export const startWithinMs = 60_000;

interface Entry {
  serverId: string;
  kind: 'export' | 'import';
  started: boolean;
  /** An export: where the agent's upload goes. */
  sink?: PassThrough;
  /** An import: what the agent downloads. */
  source?: AsyncIterable<Uint8Array>;
  fail(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface OpenTransfer {
  id: string;
  /** Ends the transfer here (done, or given up): the id no longer answers. */
  close(): void;
  /** Rejects when the agent does not start it in time, or its stream breaks. */
  failed: Promise<never>;
}

const notFound = () => new SlipwayError('SLW_NOT_FOUND', 'no such volume transfer for this server (it ended, or was never asked of it)');

export class VolumeTransfers {
  readonly #open = new Map<string, Entry>();

  /** An export: `body` yields what the agent uploads, and ends when its upload ends. */
  expectUpload(serverId: string): OpenTransfer & { body: AsyncIterable<Uint8Array>; fail(error: Error): void } {
    const sink = new PassThrough();
    const t = this.#add(serverId, 'export', { sink });
    return { ...t, body: sink, fail: (error) => this.#fail(t.id, error) };
  }

  /** An import: the agent downloads `tar`. */
  offerDownload(serverId: string, tar: AsyncIterable<Uint8Array>): OpenTransfer {
    return this.#add(serverId, 'import', { source: tar });
  }

  /** The gateway's `PUT /v1/transfers/{id}` from server `serverId`: its body is the export's tar. */
  async receive(id: string, serverId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const e = this.#take(id, serverId, 'export');
    try {
      await pipeline(req, e.sink!);
    } catch (error) {
      e.fail(error instanceof Error ? error : new Error(String(error)));
      throw new SlipwayError('SLW_INTERNAL', 'the volume transfer broke off');
    }
    res.writeHead(204).end();
  }

  /** The gateway's `GET /v1/transfers/{id}` from server `serverId`: the import's tar. */
  async send(id: string, serverId: string, res: ServerResponse): Promise<void> {
    const e = this.#take(id, serverId, 'import');
    res.writeHead(200, { 'content-type': 'application/x-tar' });
    try {
      await pipeline(Readable.from(e.source!), res);
    } catch (error) {
      e.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Transfers open now (for tests and metrics). */
  get size(): number {
    return this.#open.size;
  }

  #add(serverId: string, kind: Entry['kind'], parts: Pick<Entry, 'sink' | 'source'>): OpenTransfer {
    const id = randomUUID();
    let reject!: (error: Error) => void;
    const failed = new Promise<never>((_, r) => (reject = r));
    failed.catch(() => undefined);
    const fail = (error: Error) => {
      parts.sink?.destroy(error);
      reject(error);
    };
    const timer = setTimeout(() => {
      const e = this.#open.get(id);
      if (e && !e.started) this.#fail(id, new SlipwayError('SLW_SERVER_UNREACHABLE', `the server's agent did not start the volume transfer within ${startWithinMs / 1000} s (is it connected? slipway server list)`));
    }, startWithinMs);
    timer.unref();
    this.#open.set(id, { serverId, kind, started: false, ...parts, fail, timer });
    return { id, failed, close: () => this.#close(id) };
  }

  #take(id: string, serverId: string, kind: Entry['kind']): Entry {
    const e = this.#open.get(id);
    if (!e || e.serverId !== serverId || e.kind !== kind || e.started) throw notFound();
    e.started = true;
    clearTimeout(e.timer);
    return e;
  }

  #fail(id: string, error: Error): void {
    const e = this.#open.get(id);
    if (!e) return;
    e.fail(error);
    this.#close(id);
  }

  #close(id: string): void {
    const e = this.#open.get(id);
    if (!e) return;
    clearTimeout(e.timer);
    this.#open.delete(id);
    // An export nobody reads any more (its reader gave up): the agent's upload is broken off, not left waiting.
    if (e.sink && !e.sink.writableFinished) e.sink.destroy(new SlipwayError('SLW_INTERNAL', 'the volume transfer was given up'));
  }
}
