import { describe, expect, it } from 'vitest';
import { ChangeHub } from './live-hub';

/** A view as the panel has them: it loads what it shows (from a "server" that changes) and reads again on each signal. */
function view(hub: ChangeHub<string>, server: { value: string }) {
  const v = { shown: server.value, loads: 1, heard: [] as Array<string | null> };
  hub.subscribe((c) => {
    v.heard.push(c);
    v.shown = server.value;
    v.loads += 1;
  });
  return v;
}

describe('the change hub of the panel', () => {
  it('makes a view that loaded before the stream opened read again when it opens: a change in between is not lost', () => {
    const hub = new ChangeHub<string>();
    const server = { value: 'health ready' };
    hub.state('connecting');
    const services = view(hub, server);
    // Changed after the view's load, before the stream was open: on no stream.
    server.value = 'health stopped';
    expect(services.shown).toBe('health ready');
    hub.state('open');
    expect(services.shown).toBe('health stopped');
    expect(services.heard).toEqual([null]);
  });

  it('passes each change to every subscriber, and makes every one read again on each reconnect, not while it is down', () => {
    const hub = new ChangeHub<string>();
    const server = { value: 'v1' };
    hub.state('open');
    const a = view(hub, server);
    const b = view(hub, server);
    hub.change('deployment');
    expect([a.heard, b.heard]).toEqual([['deployment'], ['deployment']]);
    hub.state('reconnecting');
    server.value = 'v2';
    expect([a.loads, b.loads]).toEqual([2, 2]);
    hub.state('open');
    expect([a.shown, b.shown]).toEqual(['v2', 'v2']);
    expect(a.heard).toEqual(['deployment', null]);
    hub.state('ended');
    expect(a.heard).toHaveLength(2);
  });

  it('forgets a subscriber that unsubscribed (a view that left the screen)', () => {
    const hub = new ChangeHub<string>();
    const heard: Array<string | null> = [];
    const stop = hub.subscribe((c) => heard.push(c));
    expect(hub.size).toBe(1);
    stop();
    hub.state('open');
    hub.change('service');
    expect(heard).toEqual([]);
    expect(hub.size).toBe(0);
  });

  it('makes every view read again on a resync (the server missed changes of other control planes), while its own stream stayed open', () => {
    const hub = new ChangeHub<string>();
    const server = { value: 'v1' };
    hub.state('open');
    const a = view(hub, server);
    const b = view(hub, server);
    // Changed through another control plane while this server's link to them was down: on no stream.
    server.value = 'v2';
    expect([a.shown, b.shown]).toEqual(['v1', 'v1']);
    hub.resync();
    expect([a.shown, b.shown]).toEqual(['v2', 'v2']);
    expect([a.heard, b.heard]).toEqual([[null], [null]]);
  });
});
