/** Wakes the herd runner at once when an upgrade is started, paused, resumed, aborted or a site decided. */
import { EventEmitter } from 'node:events';

export const herdBus = new EventEmitter();
herdBus.setMaxListeners(0);
