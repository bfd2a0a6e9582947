/** A clock that stands still where the test puts it (`t`); its timers never fire (the tests call a scheduler's tick()). */
import type { Clock } from '../clock.js';

export class StillClock implements Clock {
  constructor(public t: Date) {}
  now = () => this.t.getTime();
  setTimeout = () => null;
  clearTimeout = () => undefined;
}
