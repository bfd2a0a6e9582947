/**
 * The services sweep as the server runs it: {@link retire} every few seconds, and at once when
 * an attach, rotate or detach asks for it, then {@link recoverUpgrades} (upgrades a stopped
 * server left behind). One pass at a time. Beside it, the health watch (src/services/health-watch.ts)
 * announces provisioned services' health transitions.
 *
 * @module
 */
import type { Logger } from 'pino';
import { startHealthWatch } from './health-watch.js';
import { retire } from './retire.js';
import { recoverUpgrades } from './upgrade-recover.js';
import type { ServiceContext } from './services.js';

export interface ServicesRuntime {
  /** Sweep soon (after a change). */
  poke(): void;
  /** Sweep now and wait for it (tests). */
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

export function startServicesRuntime(ctx: ServiceContext, logger: Logger, everyMs = 3_000): ServicesRuntime {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const pass = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = retire(ctx, logger)
      .then(() => recoverUpgrades(ctx, logger))
      .then(() => undefined)
      .catch((error: unknown) => logger.warn({ err: error }, 'the services sweep failed; trying again later'))
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          void pass();
        }
      });
    return running;
  };
  const timer = setInterval(() => void pass(), everyMs);
  timer.unref();
  const health = startHealthWatch(ctx, logger);
  return {
    poke: () => void pass(),
    sweep: async () => {
      await running;
      await pass();
    },
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await Promise.all([running, health.stop()]);
    },
  };
}
