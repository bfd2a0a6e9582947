import { describe, expect, it } from 'vitest';
import { acquireStream, defaultMaxStreamsPerToken, withStreamSlot } from './stream-limits.js';

describe('stream limits', () => {
  it('counts open streams per token and per server, refusing beyond the cap with SLW_TOO_MANY_STREAMS', () => {
    const server = { maxStreamsPerToken: 2 };
    const a1 = acquireStream(server, 'tok_a');
    acquireStream(server, 'tok_a');
    expect(() => acquireStream(server, 'tok_a')).toThrow(expect.objectContaining({ code: 'SLW_TOO_MANY_STREAMS', status: 429 }));
    expect(() => acquireStream(server, 'tok_b')).not.toThrow();
    expect(() => acquireStream({ maxStreamsPerToken: 2 }, 'tok_a')).not.toThrow();
    a1();
    a1();
    const again = acquireStream(server, 'tok_a');
    expect(() => acquireStream(server, 'tok_a')).toThrow(/already holds 2 open event streams/);
    again();
  });

  it('releases the slot when the stream ends, also by an error', async () => {
    const server = { maxStreamsPerToken: 1 };
    await expect(withStreamSlot(server, 'tok', async () => Promise.reject(new Error('client went away')))).rejects.toThrow('client went away');
    expect(await withStreamSlot(server, 'tok', async () => 'done')).toBe('done');
    const defaults = {};
    const held = Array.from({ length: defaultMaxStreamsPerToken }, () => acquireStream(defaults, 'tok'));
    expect(() => acquireStream(defaults, 'tok')).toThrow(expect.objectContaining({ code: 'SLW_TOO_MANY_STREAMS' }));
    for (const release of held) release();
  });
});
