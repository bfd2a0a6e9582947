/**
 * Keeps one Caddy running as Slipway's edge proxy: starts `caddy run` with a config that has the
 * admin API on a loopback port (never autosaved) and the `slipway` server on the proxy address,
 * waits until it answers, restarts it with backoff when it exits unexpectedly (the restarted
 * Caddy starts with the last known routes already in its config, so no request sees a 404 that
 * a route should have answered), and stops it with SIGTERM, then SIGKILL.
 *
 * If a Caddy already answers on the admin address, the supervisor adopts it instead: it makes
 * sure the `slipway` server is there, learns its routes, and leaves it running on stop. Caddy is
 * spawned detached, so a killed control plane leaves the edge serving and the next one adopts it.
 * An adopted Caddy is watched; when it stops answering, the supervisor starts its own.
 *
 * Route changes must go through {@link CaddySupervisor.admin}: it tells the supervisor about
 * every change Caddy accepted, which is how the supervisor knows the routes to re-apply.
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaddyAdmin, type RouteObserver } from './caddy-admin.js';
import { SERVER_PATH, assertLoopbackAddress, buildInitialConfig, routesOfConfig, type RouteSpec } from './caddy-config.js';
import { spawnCaddy, stopCaddy, type CaddyProcess, type LogStream } from './caddy-process.js';
import { reloadSafetyWarning } from './kernel.js';
import { waitUntilReady } from './ready.js';
import { RestartBackoff, watchAnswering } from './restart-policy.js';

/** What happened to the supervised Caddy, for logs and metrics. */
export type SupervisorEvent =
  | { type: 'started'; pid: number | undefined; restart: boolean }
  | { type: 'adopted' }
  | { type: 'lost'; restartInMs: number }
  | { type: 'warning'; message: string }
  | { type: 'exited'; pid: number | undefined; code: number | null; signal: string | null; restartInMs: number }
  | { type: 'restart-failed'; error: Error; restartInMs: number };

/** Options of {@link CaddySupervisor}. */
export interface CaddySupervisorOptions {
  /** Admin API address, `127.0.0.1:PORT`. */
  adminListen: string;
  /** Proxy address of the `slipway` server, `127.0.0.1:PORT`. */
  proxyListen: string;
  /** The caddy executable; `caddy` from PATH by default. */
  binary?: string;
  /** Directory for the config file and Caddy's HOME; a fresh temp dir (removed by stop) by default. */
  stateDir?: string;
  /** Every line Caddy prints (JSON log lines on stderr). */
  onLog?: (line: string, stream: LogStream) => void;
  onEvent?: (event: SupervisorEvent) => void;
  /** Adopt a Caddy already answering on the admin address (default true). */
  adopt?: boolean;
  /** How long a start may take until the admin API answers; 10 s by default (it takes ~50 ms). */
  startTimeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL; 5 s by default. */
  stopTimeoutMs?: number;
  /** First and largest delay before a restart; 250 ms and 10 s by default. */
  backoff?: { initialMs: number; maxMs: number };
}

/** Runs (or adopts) Slipway's Caddy; see the module comment. */
export class CaddySupervisor {
  readonly admin: CaddyAdmin;
  readonly #options: CaddySupervisorOptions;
  /** Known routes in Caddy's match order (a new route goes first, a replaced one keeps its place). */
  #routes: RouteSpec[] = [];
  #stateDir: string | undefined;
  #proc: CaddyProcess | undefined;
  #owned = false;
  #stopping = false;
  #restarts = 0;
  readonly #backoff: RestartBackoff;
  #timer: NodeJS.Timeout | undefined;
  #unwatch: (() => void) | undefined;
  #launching: Promise<void> | undefined;

  constructor(options: CaddySupervisorOptions) {
    assertLoopbackAddress(options.adminListen, 'caddy admin address');
    assertLoopbackAddress(options.proxyListen, 'proxy listen address');
    this.#options = options;
    this.#backoff = new RestartBackoff(options.backoff?.initialMs, options.backoff?.maxMs);
    const observer: RouteObserver = {
      routeSet: (spec) => {
        const at = this.#routes.findIndex((route) => route.id === spec.id);
        if (at >= 0) this.#routes[at] = spec;
        else this.#routes.unshift(spec);
      },
      routeRemoved: (id) => void (this.#routes = this.#routes.filter((route) => route.id !== id)),
      configLoaded: (config) => void (this.#routes = routesOfConfig(config)),
    };
    this.admin = new CaddyAdmin(`http://${options.adminListen}`, { observer });
  }

  /** The pid of the Caddy this supervisor runs (undefined when adopted or not running). */
  get pid(): number | undefined {
    return this.#proc?.hasExited() === false ? this.#proc.pid : undefined;
  }

  /** True when this supervisor started the Caddy it manages (false when it adopted one). */
  get owned(): boolean {
    return this.#owned;
  }

  /** How many times Caddy was restarted after an unexpected exit. */
  get restarts(): number {
    return this.#restarts;
  }

  /** The routes the supervisor would re-apply after a restart, in match order. */
  knownRoutes(): RouteSpec[] {
    return [...this.#routes];
  }

  /** Starts Caddy (or adopts a running one); resolves once its admin API answers. */
  async start(): Promise<void> {
    if (this.pid !== undefined || this.#unwatch) return;
    this.#stopping = false;
    if (this.#options.adopt !== false && (await this.admin.isUp())) {
      this.#owned = false;
      await this.admin.ensureServer(this.#options.proxyListen);
      this.#routes = await this.admin.listRoutes();
      this.#options.onEvent?.({ type: 'adopted' });
      this.#watchAdopted();
      return;
    }
    const warning = reloadSafetyWarning();
    if (warning) this.#options.onEvent?.({ type: 'warning', message: warning });
    this.#own();
    await this.#launch(false);
  }

  /** Stops a Caddy this supervisor started (SIGTERM, then SIGKILL); leaves an adopted one running. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    this.#unwatch?.();
    this.#unwatch = undefined;
    await this.#launching?.catch(() => undefined);
    if (this.#proc) await stopCaddy(this.#proc, this.#options.stopTimeoutMs ?? 5_000);
    this.#proc = undefined;
    if (this.#stateDir && !this.#options.stateDir) rmSync(this.#stateDir, { recursive: true, force: true });
    this.#stateDir = undefined;
  }

  #own(): void {
    this.#owned = true;
    this.#stateDir ??= this.#options.stateDir ?? mkdtempSync(join(tmpdir(), 'slipway-caddy-'));
  }

  #watchAdopted(): void {
    this.#unwatch = watchAnswering(
      () => this.admin.isUp(1_000),
      () => {
        if (this.#stopping) return;
        this.#own();
        const restartInMs = this.#backoff.next();
        this.#options.onEvent?.({ type: 'lost', restartInMs });
        this.#scheduleRestart(restartInMs);
      },
    );
  }

  #launch(restart: boolean): Promise<void> {
    return (this.#launching = this.#spawnAndWait(restart));
  }

  async #spawnAndWait(restart: boolean): Promise<void> {
    const stateDir = this.#stateDir ?? '';
    const configFile = join(stateDir, 'caddy.json');
    const config = buildInitialConfig({ ...this.#options, routes: this.knownRoutes() });
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    const proc = spawnCaddy({
      binary: this.#options.binary ?? 'caddy',
      configFile,
      stateDir,
      onLog: this.#options.onLog ?? (() => undefined),
    });
    try {
      await waitUntilReady(proc, () => this.#serverAnswers(), this.#options.startTimeoutMs ?? 10_000);
    } catch (error) {
      await stopCaddy(proc, 1_000);
      throw error;
    }
    this.#proc = proc;
    if (restart) this.#restarts += 1;
    this.#options.onEvent?.({ type: 'started', pid: proc.pid, restart });
    void proc.exited.then((exit) => this.#onExit(proc, exit.code, exit.signal));
  }

  async #serverAnswers(): Promise<boolean> {
    try {
      return (await this.admin.getConfig(SERVER_PATH)) !== null;
    } catch {
      return false;
    }
  }

  #onExit(proc: CaddyProcess, code: number | null, signal: string | null): void {
    if (this.#stopping || proc !== this.#proc) return;
    this.#proc = undefined;
    this.#backoff.ended(proc.startedAt);
    const restartInMs = this.#backoff.next();
    this.#options.onEvent?.({ type: 'exited', pid: proc.pid, code, signal, restartInMs });
    this.#scheduleRestart(restartInMs);
  }

  #scheduleRestart(delayMs: number): void {
    this.#timer = setTimeout(() => {
      if (this.#stopping) return;
      this.#launch(true).catch((error: unknown) => {
        if (this.#stopping) return;
        const restartInMs = this.#backoff.next();
        const reason = error instanceof Error ? error : new Error(String(error));
        this.#options.onEvent?.({ type: 'restart-failed', error: reason, restartInMs });
        this.#scheduleRestart(restartInMs);
      });
    }, delayMs);
  }
}
