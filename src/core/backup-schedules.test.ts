import { describe, expect, it } from 'vitest';
import { checkSchedule } from './backup-schedules.js';
import { catchUpMs, decideSlot, parseCron, slotAfter } from './cron.js';
import { isSlipwayError } from './errors.js';

const at = (iso: string) => new Date(`${iso}Z`);
const daily = parseCron('0 3 * * *');

describe('backup schedule slots', () => {
  it('finds the first slot strictly after a time, in whole minutes', () => {
    expect(slotAfter(daily, at('2026-03-01T02:59:30'))).toEqual(at('2026-03-01T03:00:00'));
    expect(slotAfter(daily, at('2026-03-01T03:00:00'))).toEqual(at('2026-03-02T03:00:00'));
    expect(slotAfter(daily, at('2026-03-01T03:00:59'))).toEqual(at('2026-03-02T03:00:00'));
    expect(slotAfter(parseCron('*/15 * * * *'), at('2026-03-01T10:15:00'))).toEqual(at('2026-03-01T10:30:00'));
  });

  it('waits for a slot in the future', () => {
    expect(decideSlot(daily, at('2026-03-01T03:00:00'), at('2026-03-01T02:59:59'))).toEqual({ kind: 'wait' });
  });

  it('runs a slot that is due, then waits for the next one', () => {
    expect(decideSlot(daily, at('2026-03-01T03:00:00'), at('2026-03-01T03:00:20'))).toEqual({ kind: 'run', slot: at('2026-03-01T03:00:00'), next: at('2026-03-02T03:00:00'), missed: 0 });
  });

  it('catches up once for the latest missed slot when it is less than an hour old', () => {
    const quarter = parseCron('*/15 * * * *');
    // Down from 09:50 to 10:40: the 10:00, 10:15 and 10:30 slots were missed; one backup for 10:30.
    expect(decideSlot(quarter, at('2026-03-01T10:00:00'), at('2026-03-01T10:40:00'))).toEqual({ kind: 'run', slot: at('2026-03-01T10:30:00'), next: at('2026-03-01T10:45:00'), missed: 2 });
    // The daily 03:00 slot, 59 minutes late: still backed up.
    expect(decideSlot(daily, at('2026-03-01T03:00:00'), at('2026-03-01T03:59:00'))).toMatchObject({ kind: 'run', slot: at('2026-03-01T03:00:00') });
  });

  it('skips to the next slot when every missed one is more than an hour old', () => {
    expect(decideSlot(daily, at('2026-03-01T03:00:00'), at('2026-03-01T04:00:01'))).toEqual({ kind: 'skip', next: at('2026-03-02T03:00:00') });
    // Down for days: the last missed slot (yesterday 03:00) is too old; nothing runs, the next is tomorrow.
    expect(decideSlot(daily, at('2026-03-01T03:00:00'), at('2026-03-05T12:00:00'))).toEqual({ kind: 'skip', next: at('2026-03-06T03:00:00') });
    // …but a slot of today inside the window still runs once, even after days of downtime.
    expect(decideSlot(daily, at('2026-03-01T03:00:00'), at('2026-03-05T03:30:00'))).toMatchObject({ kind: 'run', slot: at('2026-03-05T03:00:00'), next: at('2026-03-06T03:00:00') });
    expect(catchUpMs).toBe(3_600_000);
  });

  it('never walks months of minutes for a schedule down for long', () => {
    const everyMinute = parseCron('* * * * *');
    const d = decideSlot(everyMinute, at('2025-01-01T00:00:00'), at('2026-03-01T12:00:30'));
    expect(d).toEqual({ kind: 'run', slot: at('2026-03-01T12:00:00'), next: at('2026-03-01T12:01:00'), missed: 59 });
  });
});

describe('checkSchedule', () => {
  const now = at('2026-03-01T12:00:00');
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return isSlipwayError(error) ? `${error.code}: ${error.message}` : String(error);
    }
    return 'no error';
  };

  it('answers the normalised expression, keep and first slot', () => {
    expect(checkSchedule(' 0  3 * * * ', 7, now)).toEqual({ cron: '0 3 * * *', keep: 7, nextAt: at('2026-03-02T03:00:00') });
    expect(checkSchedule('30 12 * * *', null, now).nextAt).toEqual(at('2026-03-01T12:30:00'));
  });

  it('refuses a bad expression, one that never matches, and a bad keep with SLW_VALIDATION', () => {
    expect(code(() => checkSchedule('0 3 * *', null, now))).toMatch(/^SLW_VALIDATION: cron expression '0 3 \* \*': it has 4 fields/);
    expect(code(() => checkSchedule('61 3 * * *', null, now))).toMatch(/^SLW_VALIDATION: .*61 is out of the minute range/);
    expect(code(() => checkSchedule('0 0 31 2 *', null, now))).toMatch(/^SLW_VALIDATION: .*matches no minute/);
    expect(code(() => checkSchedule('0 3 * * *', 0, now))).toMatch(/^SLW_VALIDATION: keep must be/);
    expect(code(() => checkSchedule('0 3 * * *', 1.5, now))).toMatch(/^SLW_VALIDATION: keep must be/);
  });
});
