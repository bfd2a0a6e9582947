import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parse.js';

describe('SseParser', () => {
  it('parses events split across chunks at any byte', () => {
    const stream = 'retry: 1000\n\nid: 1\nevent: log\ndata: {"a":1}\n\n: ping\n\nid: 2\nevent: end\ndata: x\ndata: y\n\n';
    for (let cut = 0; cut <= stream.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(stream.slice(0, cut)), ...p.push(stream.slice(cut))];
      expect(events).toEqual([
        { type: 'log', data: '{"a":1}', id: '1' },
        { type: 'end', data: 'x\ny', id: '2' },
      ]);
      expect(p.lastId).toBe('2');
      expect(p.retryMs).toBe(1000);
    }
  });

  it('accepts CRLF and CR line ends and defaults the type to message', () => {
    const p = new SseParser();
    expect(p.push('data: one\r\n\r\ndata: two\r\r')).toEqual([{ type: 'message', data: 'one', id: null }]);
    // A lone \r at the end may be half of \r\n: the event ends once the next text shows it was not.
    expect(p.push('data: three\n\n')).toEqual([
      { type: 'message', data: 'two', id: null },
      { type: 'message', data: 'three', id: null },
    ]);
  });

  it('ignores comments and an event without data', () => {
    const p = new SseParser();
    expect(p.push(': hello\nevent: nothing\n\n')).toEqual([]);
    expect(p.push('data\n\n')).toEqual([{ type: 'message', data: '', id: null }]);
  });
});
