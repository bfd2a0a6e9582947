/**
 * Keeps one Caddy running as Slipway's edge proxy: starts `caddy run` with a config that has the
 * admin API on a unix socket in the state directory (mode 0700; never autosaved) and the
 * `slipway` server on the proxy address, waits until it answers, and restarts it with backoff
 * when it exits unexpectedly (the restarted Caddy starts with the last known routes already in
 * its config, so no request sees a 404 that a route should have answered).
 *
 * The admin socket lives in the state directory, so one state directory (one Slipway data
 * directory) has its own Caddy and nobody else's: two servers with two data directories never
 * see each other's proxy, and no other user of the machine can reach the admin API.
 *
 * The data plane outlives the control plane: Caddy is spawned detached (own process group, output
 * to a file), {@link CaddySupervisor.release} leaves it serving with its routes, and so does a
 * killed control plane. If a Caddy already answers on the socket at start, the supervisor adopts
 * it: it makes sure the `slipway` server is there and learns its routes, without a reload. An
 * adopted Caddy is watched; when it stops answering, the supervisor starts its own.
 * {@link CaddySupervisor.stop} stops Caddy on purpose, owned or adopted.
 *
 * A server's edge (its agent's Caddy) serves HTTPS too when given an {@link HttpsSpec}: the
 * routes on the HTTPS address with automatic certificates, plain HTTP on the proxy address for
 * redirects and ACME challenges (see https-config.ts). The spec is part of every (re)start's
 * config and of adoption; {@link CaddySupervisor.setHttps} changes it on the running Caddy.
 *
 * Route changes must go through {@link CaddySupervisor.admin}: it tells the supervisor about
 * every change Caddy accepted, which is how the supervisor knows the routes to re-apply.
 *
 * @module
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertLoopbackAddress } from './addresses.js';
import { CaddyAdmin, type RouteObserver } from './caddy-admin.js';
import { SERVER_PATH, buildInitialConfig, routesOfConfig, type RouteSpec } from './caddy-config.js';
import { spawnCaddy, stopCaddy, type CaddyProcess, type LogStream } from './caddy-process.js';
import { validateHttps, withHttps, type HttpsSpec } from './https-config.js';
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
  /** Proxy address of the `slipway` server, `127.0.0.1:PORT`. */
  proxyListen: string;
  /** Allow a listen address that is not loopback (a server's edge, on its advertise address). */
  publicListen?: boolean;
  /**
   * Serve HTTPS too (a server's edge): routes on `https.listen` with automatic certificates, the
   * proxy listen address then serves plain HTTP (redirects, ACME challenges). Absent: HTTP only.
   */
  https?: HttpsSpec;
  /** The caddy executable; `caddy` from PATH by default. */
  binary?: string;
  /**
   * Directory (made mode 0700) for the admin socket `admin.sock`, the config file, the log and
   * Caddy's HOME; a fresh temp dir (removed by stop) by default. One state dir, one Caddy.
   */
  stateDir?: string;
  /** Every line Caddy prints (JSON log lines on stderr). */
  onLog?: (line: string, stream: LogStream) => void;
  onEvent?: (event: SupervisorEvent) => void;
  /** Adopt a Caddy already answering on the admin socket (default true). */
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
  readonly #stateDir: string;
  #proc: CaddyProcess | undefined;
  #owned = false;
  #stopping = false;
  #restarts = 0;
  readonly #backoff: RestartBackoff;
  #timer: NodeJS.Timeout | undefined;
  #unwatch: (() => void) | undefined;
  #launching: Promise<void> | undefined;
  #https: HttpsSpec | undefined;

  constructor(options: CaddySupervisorOptions) {
    if (!options.publicListen) assertLoopbackAddress(options.proxyListen, 'proxy listen address');
    if (options.https) {
      if (!options.publicListen) assertLoopbackAddress(options.https.listen, 'HTTPS listen address');
      validateHttps(options.proxyListen, options.https);
    }
    this.#https = options.https;
    this.#stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'slipway-caddy-'));
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
    this.admin = new CaddyAdmin(adminSocketOf(this.#stateDir), { observer });
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

  /** How this edge serves HTTPS (undefined: HTTP only). */
  get https(): HttpsSpec | undefined {
    return this.#https;
  }

  /**
   * Changes how this edge serves HTTPS (e.g. the instance's ACME settings arrived): applied to the
   * running Caddy at once (one reload when anything differs) and kept for its restarts.
   */
  async setHttps(https: HttpsSpec): Promise<void> {
    if (!this.#options.publicListen) assertLoopbackAddress(https.listen, 'HTTPS listen address');
    validateHttps(this.#options.proxyListen, https);
    this.#https = https;
    await this.admin.ensureHttps(this.#options.proxyListen, https, this.#options.publicListen === true);
  }

  /** The routes the supervisor would re-apply after a restart, in match order. */
  knownRoutes(): RouteSpec[] {
    return [...this.#routes];
  }

  /** Starts Caddy (or adopts a running one); resolves once its admin API answers. */
  async start(): Promise<void> {
    if (this.pid !== undefined || this.#unwatch) return;
    this.#stopping = false;
    secureDirectory(this.#stateDir);
    if (this.#options.adopt !== false && (await this.admin.isUp())) {
      this.#owned = false;
      restrictSocket(this.admin.socketPath);
      if (this.#https) await this.admin.ensureHttps(this.#options.proxyListen, this.#https, this.#options.publicListen === true);
      else await this.admin.ensureServer(this.#options.proxyListen, this.#options.publicListen === true);
      this.#routes = await this.admin.listRoutes();
      this.#options.onEvent?.({ type: 'adopted' });
      this.#watchAdopted();
      return;
    }
    const warning = reloadSafetyWarning();
    if (warning) this.#options.onEvent?.({ type: 'warning', message: warning });
    this.#owned = true;
    await this.#launch(false);
  }

  /**
   * Stops supervising and leaves Caddy serving with its routes (owned or adopted): what a control
   * plane does when it stops, so that traffic to deployed environments never depends on it. The
   * next supervisor on the same state directory adopts it.
   */
  async release(): Promise<void> {
    await this.#detach();
  }

  /**
   * Stops supervising and stops Caddy: one it started with SIGTERM (then SIGKILL after
   * `stopTimeoutMs`), an adopted one through its admin API (`POST /stop`). Removes a temp state dir.
   */
  async stop(): Promise<void> {
    const proc = await this.#detach();
    if (proc) await stopCaddy(proc, this.#options.stopTimeoutMs ?? 5_000);
    else await this.admin.shutdown(this.#options.stopTimeoutMs ?? 5_000).catch(() => undefined);
    if (!this.#options.stateDir) rmSync(this.#stateDir, { recursive: true, force: true });
  }

  /** Ends supervision (no restart, no watch) and hands back the process it ran, if any. */
  async #detach(): Promise<CaddyProcess | undefined> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    this.#unwatch?.();
    this.#unwatch = undefined;
    await this.#launching?.catch(() => undefined);
    const proc = this.#proc;
    this.#proc = undefined;
    return proc;
  }

  #watchAdopted(): void {
    this.#unwatch = watchAnswering(
      () => this.admin.isUp(1_000),
      () => {
        if (this.#stopping) return;
        this.#owned = true;
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
    const stateDir = this.#stateDir;
    const configFile = join(stateDir, 'caddy.json');
    const initial = buildInitialConfig({ adminSocket: this.admin.socketPath, proxyListen: this.#options.proxyListen, routes: this.knownRoutes() });
    const config = this.#https ? withHttps(initial, this.#options.proxyListen, this.#https) : initial;
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
    restrictSocket(this.admin.socketPath);
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

/** The admin socket of the Caddy that runs on `stateDir`. */
export function adminSocketOf(stateDir: string): string {
  return join(stateDir, 'admin.sock');
}

/**
 * Makes `dir` exist with mode 0700 (also when it existed with another mode): it is what keeps
 * other users away from the admin socket, since Caddy 2.6 creates the socket with the default
 * umask and cannot set its mode (`unix//path|0600` is read as part of the file name).
 */
function secureDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** The socket itself to 0600 too, once Caddy made it (a second lock behind the directory's). */
function restrictSocket(socketPath: string): void {
  try {
    chmodSync(socketPath, 0o600);
  } catch {
    // Gone already (Caddy exiting); the directory's mode still protects the next one.
  }
}
