import { describe, expect, it } from 'vitest';
import { ReplayFilter } from './replay';
import type { RuntimeLine } from './types';

const line = (replica: string, text: string, stream: RuntimeLine['stream'] = 'stdout'): RuntimeLine => ({ replica, stream, line: text });

/**
 * A container's output as the server streams it (GET …/logs?tail=N): a connection starts with the
 * last `tail` lines written so far, then every line written while it is open.
 */
class Container {
  readonly written: RuntimeLine[] = [];
  constructor(readonly replica: string) {}
  write(...texts: string[]) {
    const lines = texts.map((t) => line(this.replica, t));
    this.written.push(...lines);
    return lines;
  }
  tail(n: number) {
    return n === 0 ? [] : this.written.slice(-n);
  }
}

/** What the Logs tab shows, fed through the filter. */
function tab() {
  const filter = new ReplayFilter();
  const shown: RuntimeLine[] = [];
  return {
    shown,
    filter,
    receive: (lines: RuntimeLine[]) => {
      for (const l of lines) shown.push(...filter.take(l));
    },
  };
}

const texts = (lines: RuntimeLine[]) => lines.map((l) => `${l.replica}:${l.line}`);

describe('the Logs tab after its stream reconnects', () => {
  it('resumes after the last line shown: no line twice, the ones written during the gap once', () => {
    const c = new Container('web-1');
    c.write(...Array.from({ length: 30 }, (_, i) => `boot ${i}`));
    const t = tab();
    t.receive(c.tail(20)); // connect: the last 20
    t.receive(c.write('GET / 200', 'GET /a 200')); // live
    // The connection drops; two lines are written meanwhile; the reconnect sends the last 20 again.
    c.write('GET /b 200', 'GET /c 404');
    t.filter.resume(20);
    t.receive(c.tail(20));
    t.receive(c.write('GET /d 200')); // live again
    expect(texts(t.shown)).toEqual(texts(c.written.slice(10)));
    expect(new Set(texts(t.shown)).size).toBe(t.shown.length);
  });

  it('shows nothing again when nothing was written during the gap, and then the new lines at once', () => {
    const c = new Container('web-1');
    c.write('a', 'b', 'c');
    const t = tab();
    t.receive(c.tail(50));
    t.filter.resume(50);
    t.receive(c.tail(50));
    expect(texts(t.shown)).toEqual(['web-1:a', 'web-1:b', 'web-1:c']);
    t.receive(c.write('d'));
    expect(texts(t.shown)).toEqual(['web-1:a', 'web-1:b', 'web-1:c', 'web-1:d']);
  });

  it('keeps each replica apart, with their lines interleaved as the server merges them', () => {
    const a = new Container('web-1');
    const b = new Container('web-2');
    a.write('a0', 'a1');
    b.write('b0');
    const t = tab();
    t.receive([a.tail(5)[0]!, b.tail(5)[0]!, a.tail(5)[1]!]);
    a.write('a2');
    b.write('b1', 'b2');
    t.filter.resume(5);
    const [a0, a1, a2] = a.tail(5);
    const [b0, b1, b2] = b.tail(5);
    t.receive([b0!, a0!, b1!, a1!, a2!, b2!]);
    expect(texts(t.shown)).toEqual(['web-1:a0', 'web-2:b0', 'web-1:a1', 'web-2:b1', 'web-1:a2', 'web-2:b2']);
  });

  it('loses no line written when more than the tail was written during the gap, and repeats none', () => {
    const c = new Container('web-1');
    c.write('a', 'b', 'c');
    const t = tab();
    t.receive(c.tail(3));
    c.write('d', 'e', 'f', 'g');
    t.filter.resume(3);
    t.receive(c.tail(3));
    // d is beyond the tail (the server does not send it): the rest shows once.
    expect(texts(t.shown)).toEqual(['web-1:a', 'web-1:b', 'web-1:c', 'web-1:e', 'web-1:f', 'web-1:g']);
  });

  it('tells the streams apart and follows a new container (a new release) as it comes', () => {
    const t = tab();
    t.receive([line('web-1', 'same'), line('web-1', 'x')]);
    t.filter.resume(2);
    t.receive([line('web-1', 'same'), line('web-1', 'x', 'stderr')]);
    const next = new Container('web-r2-1');
    t.receive(next.write('listening on 8080'));
    expect(t.shown.map((l) => `${l.stream}:${l.line}`)).toEqual(['stdout:same', 'stdout:x', 'stdout:same', 'stderr:x', 'stdout:listening on 8080']);
  });

  it('with a tail of 0 nothing comes again and nothing is held back', () => {
    const c = new Container('web-1');
    const t = tab();
    t.receive(c.write('a'));
    t.filter.resume(0);
    t.receive(c.write('a'));
    expect(texts(t.shown)).toEqual(['web-1:a', 'web-1:a']);
  });

  it('shows the tail again after forget (a new tail asked for, the tab cleared)', () => {
    const c = new Container('web-1');
    c.write('a', 'b');
    const t = tab();
    t.receive(c.tail(2));
    t.filter.forget();
    t.filter.resume(2);
    t.receive(c.tail(2));
    expect(texts(t.shown)).toEqual(['web-1:a', 'web-1:b', 'web-1:a', 'web-1:b']);
  });

  it('finds the longest repeat when the last lines repeat themselves', () => {
    const c = new Container('web-1');
    c.write('a', 'b', 'a', 'b');
    const t = tab();
    t.receive(c.tail(4));
    c.write('c');
    t.filter.resume(4);
    t.receive(c.tail(4));
    expect(texts(t.shown)).toEqual(['web-1:a', 'web-1:b', 'web-1:a', 'web-1:b', 'web-1:c']);
  });

  it('starts over when the stream reconnects again in the middle of a repeat', () => {
    const c = new Container('web-1');
    c.write('a', 'b', 'c');
    const t = tab();
    t.receive(c.tail(3));
    c.write('d');
    t.filter.resume(3);
    t.receive(c.tail(3).slice(0, 1)); // cut after one line of the repeat
    t.filter.resume(3);
    t.receive(c.tail(3));
    expect(texts(t.shown)).toEqual(['web-1:a', 'web-1:b', 'web-1:c', 'web-1:d']);
  });
});
