import { on } from 'node:events';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkspaceChange } from '../api/streams.js';
import { maxChangePayloadBytes, startChangeRelay, type ChangeChannelListener, type ChangeRelay } from './change-relay.js';
import { announceChange, deploymentsEnded, workspaceChanges } from './events.js';

/** A channel that keeps what is published and lets the test play the other processes. */
function fakeChannel() {
  const published: string[] = [];
  let listener: ChangeChannelListener | undefined;
  return {
    published,
    open: (l: ChangeChannelListener) => {
      listener = l;
      return { publish: async (p: string) => void published.push(p), close: async () => undefined };
    },
    get listener() {
      return listener!;
    },
  };
}

/** The changes this process's followers of `ws` get, as they come. */
function follow(ws: string) {
  const got: WorkspaceChange[] = [];
  const abort = new AbortController();
  void (async () => {
    try {
      for await (const [c] of on(workspaceChanges, ws, { signal: abort.signal })) got.push(c as WorkspaceChange);
    } catch {
      // aborted
    }
  })();
  return { got, stop: () => abort.abort() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const change = (id: string, status: string) => ({ kind: 'deployment', id, project: 'shop', environment: 'dev', status, at: '2030-01-01T00:00:00.000Z' }) as const;

let relay: ChangeRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

describe('the change relay', () => {
  it("publishes this process's changes in order with its origin, and delivers another's once, never its own", async () => {
    const ch = fakeChannel();
    relay = startChangeRelay(ch.open, pino({ level: 'silent' }), { origin: 'me' });
    ch.listener.up(false);
    await relay.ready;
    const f = follow('ws_1');
    announceChange('ws_1', { kind: 'service', name: 'cache', change: 'created' });
    announceChange('ws_1', { kind: 'service', name: 'cache', change: 'removed' });
    await tick();
    expect(ch.published.map((p) => JSON.parse(p) as unknown)).toEqual([
      { o: 'me', s: 1, w: 'ws_1', c: { kind: 'service', name: 'cache', change: 'created', at: expect.any(String) } },
      { o: 'me', s: 2, w: 'ws_1', c: { kind: 'service', name: 'cache', change: 'removed', at: expect.any(String) } },
    ]);
    // Our own, heard back from the channel: not again.
    for (const p of ch.published) ch.listener.message(p);
    // Another process's, twice (a repeat), then an older number, then garbage.
    const ended: string[] = [];
    const onEnded = (id: string) => ended.push(id);
    deploymentsEnded.on('ended', onEnded);
    ch.listener.message(JSON.stringify({ o: 'other', s: 7, w: 'ws_1', c: change('dep_1', 'succeeded') }));
    ch.listener.message(JSON.stringify({ o: 'other', s: 7, w: 'ws_1', c: change('dep_1', 'succeeded') }));
    ch.listener.message(JSON.stringify({ o: 'other', s: 6, w: 'ws_1', c: change('dep_1', 'running') }));
    ch.listener.message('not json');
    ch.listener.message(JSON.stringify({ o: 'other', s: 8, w: 'error', c: change('dep_2', 'failed') }));
    await tick();
    deploymentsEnded.off('ended', onEnded);
    f.stop();
    expect(f.got.map((c) => (c.kind === 'service' ? c.change : c.kind === 'deployment' ? `${c.id} ${c.status}` : c.kind))).toEqual(['created', 'removed', 'dep_1 succeeded']);
    // A deployment another control plane ended wakes this one's waiters too.
    expect(ended).toEqual(['dep_1']);
  });

  it('sends a marker for a change over the limit, which its receivers turn into a resync of that workspace', async () => {
    const ch = fakeChannel();
    relay = startChangeRelay(ch.open, pino({ level: 'silent' }), { origin: 'me' });
    announceChange('ws_2', { kind: 'service', name: 'x'.repeat(maxChangePayloadBytes), change: 'created' });
    await tick();
    expect(JSON.parse(ch.published[0]!)).toEqual({ o: 'me', s: 1, w: 'ws_2', r: 1 });
    const f = follow('ws_2');
    ch.listener.message(JSON.stringify({ o: 'other', s: 1, w: 'ws_2', r: 1 }));
    await tick();
    f.stop();
    expect(f.got).toEqual([{ kind: 'resync', at: expect.any(String) }]);
  });

  it('tells every workspace followed here to read again when the channel is back after a drop, not on its first connection', async () => {
    const ch = fakeChannel();
    relay = startChangeRelay(ch.open, pino({ level: 'silent' }), { origin: 'me' });
    const [one, two] = [follow('ws_3'), follow('ws_4')];
    ch.listener.up(false);
    ch.listener.down(new Error('terminated'), 250, 1);
    ch.listener.up(true);
    await tick();
    one.stop();
    two.stop();
    expect([one.got.map((c) => c.kind), two.got.map((c) => c.kind)]).toEqual([['resync'], ['resync']]);
  });
});
