import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { deployWhenFree, STOPPED } from './deploy-wait';

const busy = () => new ApiError('SLW_DEPLOY_IN_PROGRESS', 'shop/dev is being deployed (deployment d1, release #2)', 409);

describe('deployWhenFree', () => {
  it('sends again each time the deploy in progress may have ended, until it is accepted', async () => {
    const answers: Array<ApiError | string> = [busy(), busy(), 'started'];
    const told: string[] = [];
    let waits = 0;
    const result = await deployWhenFree({
      send: async () => {
        const a = answers.shift()!;
        if (a instanceof ApiError) throw a;
        return a;
      },
      ended: async () => void (waits += 1),
      onWaiting: (e) => told.push(e.message),
      stopped: () => false,
    });
    expect(result).toBe('started');
    expect(waits).toBe(2);
    expect(told).toEqual([busy().message, busy().message]);
  });

  it('passes any other refusal on at once, without waiting', async () => {
    let waits = 0;
    const refusal = new ApiError('SLW_FORBIDDEN', 'no', 403);
    await expect(deployWhenFree({ send: () => Promise.reject(refusal), ended: async () => void (waits += 1), onWaiting: () => undefined, stopped: () => false })).rejects.toBe(refusal);
    expect(waits).toBe(0);
  });

  it('stops when the user stops waiting, and when the limit has passed, sending nothing more', async () => {
    let sent = 0;
    const send = () => ((sent += 1), Promise.reject(busy()));
    await expect(deployWhenFree({ send, ended: async () => undefined, onWaiting: () => undefined, stopped: () => true })).rejects.toMatchObject({ code: STOPPED });
    expect(sent).toBe(1);
    let t = 0;
    await expect(deployWhenFree({ send, ended: async () => void (t += 60_000), onWaiting: () => undefined, stopped: () => false, now: () => t, limitMs: 120_000 })).rejects.toMatchObject({ code: 'SLW_DEPLOY_IN_PROGRESS' });
    expect(sent).toBe(1 + 4);
  });
});
