import { describe, expect, it } from 'vitest';
import { Lease, type LeaseGrant, type LeaseStore } from './lease.js';
import { keepLease } from './lease-keeper.js';
import { MemoryLeaseStore } from './memory-lease-store.js';
import { FakeClock } from './test-support/fake-clock.js';
import { prng } from './test-support/harness.js';
import { recordingLogger } from './test-support/recording-logger.js';

/** A store that can be made to fail, like a database that went away. */
class FlakyStore implements LeaseStore {
  down = false;
  constructor(readonly inner: LeaseStore) {}
  #check(): void {
    if (this.down) throw new Error('connection refused');
  }
  async tryAcquire(name: string, owner: string, ttlMs: number): Promise<LeaseGrant | null> {
    this.#check();
    return this.inner.tryAcquire(name, owner, ttlMs);
  }
  async renew(name: string, owner: string, ttlMs: number): Promise<LeaseGrant | null> {
    this.#check();
    return this.inner.renew(name, owner, ttlMs);
  }
  async release(name: string, owner: string): Promise<boolean> {
    this.#check();
    return this.inner.release(name, owner);
  }
}

describe('MemoryLeaseStore', () => {
  it('grants a lease to one owner until it lapses, then to another with a higher token', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore(clock);
    const a = await store.tryAcquire('controllers', 'replica-a', 15_000);
    expect(a).toEqual({ name: 'controllers', owner: 'replica-a', expiresAt: clock.now() + 15_000, token: 1 });
    expect(await store.tryAcquire('controllers', 'replica-b', 15_000)).toBeNull();
    expect(await store.tryAcquire('controllers', 'replica-a', 15_000)).toMatchObject({ token: 1 });
    await clock.advance(10_000);
    expect(await store.renew('controllers', 'replica-a', 15_000)).toMatchObject({ expiresAt: clock.now() + 15_000, token: 1 });
    expect(await store.renew('controllers', 'replica-b', 15_000)).toBeNull();
    await clock.advance(15_000);
    expect(await store.renew('controllers', 'replica-a', 15_000)).toBeNull();
    expect(await store.tryAcquire('controllers', 'replica-b', 15_000)).toMatchObject({ owner: 'replica-b', token: 2 });
  });

  it('lets only the holder release, and never reuses a token after a release', async () => {
    const store = new MemoryLeaseStore(new FakeClock());
    await store.tryAcquire('l', 'a', 1_000);
    expect(await store.release('l', 'b')).toBe(false);
    expect(await store.release('l', 'a')).toBe(true);
    expect(store.peek('l')).toBeUndefined();
    expect(await store.tryAcquire('l', 'b', 1_000)).toMatchObject({ owner: 'b', token: 2 });
    expect(await store.tryAcquire('other', 'b', 1_000)).toMatchObject({ token: 1 });
  });
});

describe('Lease', () => {
  it('counts itself held only until the renew deadline after its last grant was sent', async () => {
    const clock = new FakeClock();
    const lease = new Lease(new MemoryLeaseStore(clock), { name: 'l', owner: 'a', ttlMs: 15_000, clock });
    expect(lease.renewDeadlineMs).toBe(10_000);
    expect(lease.isHeld()).toBe(false);
    expect(await lease.tryAcquire()).toBe(true);
    expect(lease.token()).toBe(1);
    await clock.advance(9_999);
    expect(lease.isHeld()).toBe(true);
    await clock.advance(1);
    expect(lease.isHeld()).toBe(false);
    expect(lease.token()).toBeUndefined();
    expect(await lease.renew()).toBe(true); // still the store's until 15 s
    expect(lease.isHeld()).toBe(true);
    await lease.release();
    expect(lease.isHeld()).toBe(false);
    expect(await lease.renew()).toBe(false);
  });

  it('refuses a renew deadline longer than the lease', () => {
    const store = new MemoryLeaseStore();
    expect(() => new Lease(store, { name: 'l', owner: 'a', ttlMs: 1_000, renewDeadlineMs: 2_000 })).toThrow(RangeError);
  });
});

describe('keepLease', () => {
  function replica(store: LeaseStore, owner: string, clock: FakeClock) {
    const events: string[] = [];
    const lease = new Lease(store, { name: 'controllers', owner, clock });
    const keeper = keepLease(lease, {
      logger: recordingLogger(),
      clock,
      random: prng(owner.length),
      onAcquired: (token) => events.push(`acquired ${token}`),
      onLost: () => events.push('lost'),
    });
    return { events, keeper };
  }

  it('keeps one leader, and hands over to the standby at once when the leader stops', async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore(clock);
    const a = replica(store, 'a', clock);
    await clock.advance(0);
    const b = replica(store, 'bb', clock);
    await clock.advance(60_000);
    expect(a.events).toEqual(['acquired 1']);
    expect(b.events).toEqual([]);
    expect([a.keeper.leading(), b.keeper.leading()]).toEqual([true, false]);
    await a.keeper.stop();
    await clock.advance(2_200); // one retry period and its jitter
    expect(b.events).toEqual(['acquired 2']);
    expect(a.events).toEqual(['acquired 1']);
    await b.keeper.stop();
  });

  it('stops leading at the renew deadline when the store is unreachable, before a standby can take over', async () => {
    const clock = new FakeClock();
    const memory = new MemoryLeaseStore(clock);
    const flaky = new FlakyStore(memory);
    const a = replica(flaky, 'a', clock);
    await clock.advance(0);
    const b = replica(memory, 'bb', clock);
    await clock.advance(5_000);
    flaky.down = true;
    const downAt = clock.now();
    let lostAt: number | undefined;
    let takenAt: number | undefined;
    for (let t = 0; t < 30_000 && takenAt === undefined; t += 100) {
      await clock.advance(100);
      if (lostAt === undefined && a.events.includes('lost')) lostAt = clock.now();
      if (b.events.length > 0) takenAt = clock.now();
    }
    expect(lostAt).toBeDefined();
    expect(takenAt).toBeDefined();
    expect(lostAt!).toBeLessThan(takenAt!);
    expect(lostAt! - downAt).toBeLessThanOrEqual(10_000 + 2_200);
    expect(b.events).toEqual(['acquired 2']);
    await a.keeper.stop();
    await b.keeper.stop();
  });
});
