import { describe, expect, it } from 'vitest';
import { parseCron } from './cron.js';

const at = (iso: string) => new Date(`${iso}Z`);

describe('parseCron', () => {
  it('matches minutes in UTC: numbers, ranges, lists, steps and *', () => {
    const sundayTwo = parseCron('0 2 * * 0');
    expect(sundayTwo.matches(at('2026-03-01T02:00:00'))).toBe(true); // a Sunday
    expect(sundayTwo.matches(at('2026-03-01T02:00:59'))).toBe(true); // seconds do not count
    expect(sundayTwo.matches(at('2026-03-01T02:01:00'))).toBe(false);
    expect(sundayTwo.matches(at('2026-03-02T02:00:00'))).toBe(false); // a Monday
    const quarter = parseCron('*/15 1-5 * * *');
    expect([0, 15, 30, 45].every((m) => quarter.matches(at(`2026-03-02T03:${String(m).padStart(2, '0')}:00`)))).toBe(true);
    expect(quarter.matches(at('2026-03-02T03:10:00'))).toBe(false);
    expect(quarter.matches(at('2026-03-02T06:00:00'))).toBe(false);
    const list = parseCron('5,35 0-6/3 1 1,7 *');
    expect(list.matches(at('2026-07-01T03:35:00'))).toBe(true);
    expect(list.matches(at('2026-07-01T04:35:00'))).toBe(false);
    expect(list.matches(at('2026-08-01T03:35:00'))).toBe(false);
    expect(parseCron('* * * * *').matches(at('1999-12-31T23:59:00'))).toBe(true);
  });

  it('reads month and weekday names, Sunday as 0 or 7, and N/STEP as from N to the end', () => {
    const weekdays = parseCron('30 22 * JAN-mar mon-fri');
    expect(weekdays.matches(at('2026-02-06T22:30:00'))).toBe(true); // a Friday in February
    expect(weekdays.matches(at('2026-02-07T22:30:00'))).toBe(false); // a Saturday
    expect(weekdays.matches(at('2026-04-06T22:30:00'))).toBe(false); // April
    expect(parseCron('0 0 * * 7').matches(at('2026-03-01T00:00:00'))).toBe(true);
    const from = parseCron('50/5 * * * *');
    expect([50, 55].every((m) => from.matches(at(`2026-03-01T00:${m}:00`)))).toBe(true);
    expect(from.matches(at('2026-03-01T00:05:00'))).toBe(false);
  });

  it('takes a day when either restricted day field matches, as Vixie cron does', () => {
    const either = parseCron('0 0 13 * fri');
    expect(either.matches(at('2026-03-13T00:00:00'))).toBe(true); // the 13th (a Friday too)
    expect(either.matches(at('2026-04-13T00:00:00'))).toBe(true); // the 13th, a Monday
    expect(either.matches(at('2026-04-17T00:00:00'))).toBe(true); // a Friday
    expect(either.matches(at('2026-04-14T00:00:00'))).toBe(false);
    // With one of them *, both must hold.
    expect(parseCron('0 0 13 * *').matches(at('2026-04-17T00:00:00'))).toBe(false);
  });

  it('finds the next matching minute, or none', () => {
    expect(parseCron('0 2 * * 0').next(at('2026-03-02T10:00:00'))?.toISOString()).toBe('2026-03-08T02:00:00.000Z');
    expect(parseCron('*/15 * * * *').next(at('2026-03-02T10:01:30'))?.toISOString()).toBe('2026-03-02T10:15:00.000Z');
    expect(parseCron('*/15 * * * *').next(at('2026-03-02T10:15:00'))?.toISOString()).toBe('2026-03-02T10:15:00.000Z');
    expect(parseCron('0 0 29 2 *').next(at('2026-03-01T00:00:00'))?.toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(parseCron('0 0 30 2 *').next(at('2026-03-01T00:00:00'))).toBeNull();
  });

  it('refuses what is not five valid fields, saying which, with SLW_VALIDATION', () => {
    const cases: [string, RegExp][] = [
      ['', /0 fields, not 5/],
      ['* * * *', /4 fields, not 5/],
      ['* * * * * *', /6 fields, not 5/],
      ['60 * * * *', /60 is out of the minute range 0-59/],
      ['* 24 * * *', /hour range 0-23/],
      ['* * 0 * *', /day-of-month range 1-31/],
      ['* * * 13 *', /month range 1-12/],
      ['* * * * 8', /day-of-week range 0-7/],
      ['*/0 * * * *', /step .* is 0/],
      ['5-1 * * * *', /goes backwards/],
      ['1,,2 * * * *', /empty list item/],
      ['a * * * *', /'a' in the minute field is not a number/],
      ['* * * foo *', /not a number or a name \(jan…dec\)/],
      ['1-2-3 * * * *', /not a range/],
      ['@daily', /1 field, not 5/],
      ['-1 * * * *', /not a number/],
    ];
    for (const [text, why] of cases) {
      expect(() => parseCron(text), text).toThrow(expect.objectContaining({ code: 'SLW_VALIDATION', message: expect.stringMatching(why) }));
    }
  });
});
