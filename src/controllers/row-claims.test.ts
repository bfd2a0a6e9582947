import { describe, expect, it, vi } from 'vitest';
import { RowClaims, renewLeasesEvery, type ClaimableRow } from './row-claims.js';

const now = '2026-01-01T00:00:10.000Z';
const later = '2026-01-01T00:00:40.000Z';
const earlier = '2026-01-01T00:00:05.000Z';

/** A row in a one-row "table" whose update is conditional on the fence, as the store's is. */
function table(row: ClaimableRow) {
  let writes = 0;
  return {
    get row() {
      return row;
    },
    get writes() {
      return writes;
    },
    write: (owner: string, expected: number) => async (next: number) => {
      writes += 1;
      if (row.fence !== expected) return false;
      row = { ...row, owner, fence: next, lease_until: later };
      return true;
    },
  };
}

describe('RowClaims', () => {
  it('takes a free row with the fence one higher, then holds it without writing again', async () => {
    const t = table({ id: 'd1', owner: null, fence: 0, lease_until: null });
    const a = new RowClaims('a');
    expect(await a.claim(t.row, now, t.write('a', 0))).toEqual({ fence: 1, taken: true });
    expect(await a.claim(t.row, now, t.write('a', 1))).toEqual({ fence: 1, taken: false });
    expect(t.writes).toBe(1);
    expect(a.size).toBe(1);
    a.release('d1');
    expect(a.size).toBe(0);
  });

  it("waits while another owner's lease runs, and takes the row once it lapsed", async () => {
    const t = table({ id: 'd1', owner: 'b', fence: 4, lease_until: later });
    const a = new RowClaims('a');
    expect(await a.claim(t.row, now, t.write('a', 4))).toBeNull();
    expect(t.writes).toBe(0);
    const lapsed = { ...t.row, lease_until: earlier };
    expect(await a.claim(lapsed, now, t.write('a', 4))).toEqual({ fence: 5, taken: true });
  });

  it('of two processes that read the same fence only one wins; the loser holds nothing', async () => {
    const t = table({ id: 'd1', owner: null, fence: 2, lease_until: null });
    const a = new RowClaims('a');
    const b = new RowClaims('b');
    const read = t.row;
    expect(await a.claim(read, now, t.write('a', read.fence))).toEqual({ fence: 3, taken: true });
    expect(await b.claim(read, now, t.write('b', read.fence))).toBeNull();
    expect(b.size).toBe(0);
  });

  it('claims again when the row changed hands since (a fence it does not hold)', async () => {
    const t = table({ id: 'd1', owner: null, fence: 0, lease_until: null });
    const a = new RowClaims('a');
    await a.claim(t.row, now, t.write('a', 0));
    // Another process took it after a's lease lapsed, then lost it again.
    const moved = { ...t.row, owner: 'b', fence: 7, lease_until: earlier };
    expect(await a.claim(moved, now, async () => true)).toEqual({ fence: 8, taken: true });
  });
});

describe('renewLeasesEvery', () => {
  it('renews every third of the lease, reports a failed renewal and goes on, and stops', async () => {
    vi.useFakeTimers();
    try {
      let calls = 0;
      const failures: unknown[] = [];
      const stop = renewLeasesEvery(3000, async () => {
        calls += 1;
        if (calls === 2) throw new Error('store away');
      }, (error) => failures.push(error));
      await vi.advanceTimersByTimeAsync(999);
      expect(calls).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toBe(1);
      await vi.advanceTimersByTimeAsync(2000);
      expect(calls).toBe(3);
      expect(failures).toHaveLength(1);
      expect((failures[0] as Error).message).toBe('store away');
      stop();
      await vi.advanceTimersByTimeAsync(5000);
      expect(calls).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
