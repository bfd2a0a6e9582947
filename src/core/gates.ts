/**
 * Promotion gates, pure: what an environment's gates are, the `--gate` syntax, and the health
 * gate's verdict over what it measured. Gates apply in a fixed order: approval (an admin or owner
 * says yes), then a pipeline that must pass against the candidate image, then — after the traffic
 * switch — the health gate, which watches the new release for its bake time and rolls it back
 * when it fails.
 *
 * @module
 */
import { SlipwayError } from './errors.js';

/** The health gate: the new release is watched for `bakeSeconds` after its switch. */
export interface HealthGate {
  bakeSeconds: number;
  /** Largest tolerated share of failed requests (5xx or no answer), 0–1. */
  maxErrorRate: number;
  /** Path probed through the edge on the environment's domain. */
  path: string;
}

/** An environment's gates after approval (approval itself is `requireApproval`). */
export interface Gates {
  /** A pipeline of the project that must pass against the candidate image; null: none. */
  pipeline: string | null;
  health: HealthGate | null;
}

/**
 * Whether an environment requires approval: its own setting; where it sets none, prod's default
 * or the project manifest's gate for its name (a manifest adds protection, never removes it).
 */
export function approvalRequired(own: boolean | undefined, environment: string, manifestApproval: boolean | undefined): boolean {
  return own ?? (environment === 'prod' || manifestApproval === true);
}

/** Where a gate setting came from. */
export type GateSource = 'environment' | 'manifest' | 'none';

export const BAKE_MIN_SECONDS = 5;
export const BAKE_MAX_SECONDS = 3600;
export const DEFAULT_MAX_ERROR_RATE = 0.05;
export const DEFAULT_GATE_PATH = '/';
/**
 * Fewest requests before the error rate is judged: at five probes a second two seconds' worth,
 * so a single failed probe at the start cannot fail a release on its own.
 */
export const MIN_SAMPLE = 10;
/** How long replicas may stay not ready during the bake before the gate fails (a restart blip passes). */
export const NOT_READY_GRACE_MS = 5_000;

const invalid = (message: string) => new SlipwayError('SLW_INVALID_GATE', message);
const pipelineName = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** `30`, `30s`, `2m` → seconds. */
function parseDuration(text: string): number {
  const m = /^(\d+)(s|m)?$/.exec(text.trim());
  if (!m) throw invalid(`health gate bake '${text}' is not a duration: give seconds like 30 or 30s, or minutes like 2m`);
  const seconds = Number(m[1]) * (m[2] === 'm' ? 60 : 1);
  if (seconds < BAKE_MIN_SECONDS || seconds > BAKE_MAX_SECONDS) throw invalid(`health gate bake must be ${BAKE_MIN_SECONDS}–${BAKE_MAX_SECONDS} seconds (got ${seconds})`);
  return seconds;
}

/** `5%` or `0.05` → 0.05. */
function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(%)?$/.exec(text.trim());
  if (!m) throw invalid(`max-error-rate '${text}' is not a rate: give a percentage like 5% (or a fraction like 0.05)`);
  const rate = m[2] ? Number(m[1]) / 100 : Number(m[1]);
  if (!(rate >= 0 && rate < 1)) throw invalid(`max-error-rate must be from 0% to below 100% (got ${text})`);
  return rate;
}

export function assertGatePath(path: string): string {
  if (!/^\/[\x21-\x7e]{0,1023}$/.test(path)) throw invalid(`health gate path '${path}' must start with / and hold no spaces (e.g. /healthz)`);
  return path;
}

export function assertHealthGate(g: HealthGate): HealthGate {
  if (!Number.isInteger(g.bakeSeconds) || g.bakeSeconds < BAKE_MIN_SECONDS || g.bakeSeconds > BAKE_MAX_SECONDS) throw invalid(`health gate bake must be a whole number of seconds from ${BAKE_MIN_SECONDS} to ${BAKE_MAX_SECONDS} (got ${g.bakeSeconds})`);
  if (!(g.maxErrorRate >= 0 && g.maxErrorRate < 1)) throw invalid(`health gate maxErrorRate must be from 0 to below 1 (got ${g.maxErrorRate})`);
  assertGatePath(g.path);
  return g;
}

export function assertPipelineName(name: string): string {
  if (!pipelineName.test(name)) throw invalid(`pipeline gate '${name}' is not a pipeline name: lowercase letters, digits and '-' (e.g. tests)`);
  return name;
}

/** What one `--gate` flag changes: a gate set, or removed (`null`). */
export type GateChange = { pipeline: string | null } | { health: HealthGate | null };

/**
 * Parses one `--gate` value: `pipeline=NAME`, `health=BAKE[,max-error-rate=P%][,path=/x]`; an
 * empty value (`pipeline=`, `health=`) removes that gate.
 */
export function parseGateFlag(text: string): GateChange {
  const eq = text.indexOf('=');
  const kind = (eq < 0 ? text : text.slice(0, eq)).trim();
  const value = eq < 0 ? undefined : text.slice(eq + 1).trim();
  if (kind !== 'pipeline' && kind !== 'health') throw invalid(`unknown gate '${kind}': use --gate pipeline=NAME or --gate health=BAKE[,max-error-rate=P%][,path=/x] (an empty value removes the gate)`);
  if (value === undefined) throw invalid(`--gate ${kind} needs a value: --gate ${kind === 'pipeline' ? 'pipeline=NAME' : 'health=30s,max-error-rate=5%'} (or --gate ${kind}= to remove it)`);
  if (kind === 'pipeline') return { pipeline: value === '' ? null : assertPipelineName(value) };
  if (value === '') return { health: null };
  const [bake, ...options] = value.split(',');
  const gate: HealthGate = { bakeSeconds: parseDuration(bake ?? ''), maxErrorRate: DEFAULT_MAX_ERROR_RATE, path: DEFAULT_GATE_PATH };
  for (const option of options) {
    const at = option.indexOf('=');
    const key = at < 0 ? option.trim() : option.slice(0, at).trim();
    const v = at < 0 ? '' : option.slice(at + 1).trim();
    if (key === 'max-error-rate') gate.maxErrorRate = parseRate(v);
    else if (key === 'path') gate.path = assertGatePath(v);
    else throw invalid(`unknown health gate option '${key}': use health=BAKE[,max-error-rate=P%][,path=/x]`);
  }
  return { health: gate };
}

/** The gates that apply: the environment's own, else the project manifest's for that environment name. */
export function effectiveGates(own: { gatePipeline?: string | null | undefined; gateHealth?: HealthGate | null | undefined }, manifest: Partial<Gates> | null): Gates & { source: { pipeline: GateSource; health: GateSource } } {
  const pipeline = own.gatePipeline ?? manifest?.pipeline ?? null;
  const health = own.gateHealth ?? manifest?.health ?? null;
  return {
    pipeline,
    health,
    source: {
      pipeline: own.gatePipeline ? 'environment' : manifest?.pipeline ? 'manifest' : 'none',
      health: own.gateHealth ? 'environment' : manifest?.health ? 'manifest' : 'none',
    },
  };
}

/** `30 s, at most 5% errors on /` */
export function describeHealthGate(g: HealthGate): string {
  return `${g.bakeSeconds} s bake, at most ${percent(g.maxErrorRate)} errors on ${g.path}`;
}

export function percent(rate: number): string {
  const p = rate * 100;
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

export const healthGateStatuses = ['baking', 'passed', 'failed', 'cancelled'] as const;
export type HealthGateStatus = (typeof healthGateStatuses)[number];

/** What the health gate has measured so far. */
export interface HealthSample {
  /** Since the switch. */
  elapsedMs: number;
  bakeMs: number;
  maxErrorRate: number;
  /** Requests seen through the edge (probes and, where the edge reports them, real traffic). */
  requests: number;
  /** Of those: 5xx answers, refused connections and timeouts. */
  errors: number;
  /** Replicas wanted and ready now; `ready` null when the target could not be observed. */
  replicas: number;
  ready: number | null;
  /** How long the replicas have been short of ready (0: all ready). */
  notReadyMs: number;
  /** Whether requests are measured at all (false: the edge cannot be probed; readiness only). */
  measured: boolean;
}

export type HealthVerdict = { verdict: 'baking' } | { verdict: 'passed'; summary: string } | { verdict: 'failed'; reason: string };

/** The health gate's verdict: failed as soon as the error rate or readiness crosses its line, passed when the bake ends clean. */
export function judgeHealth(s: HealthSample): HealthVerdict {
  const seconds = Math.max(1, Math.round(s.elapsedMs / 1000));
  const rate = s.requests === 0 ? 0 : s.errors / s.requests;
  if (s.requests >= MIN_SAMPLE && rate > s.maxErrorRate) {
    return { verdict: 'failed', reason: `${Math.round(rate * 100)}% 5xx over ${seconds} s (${s.errors} of ${s.requests} requests failed; at most ${percent(s.maxErrorRate)} allowed)` };
  }
  if (s.notReadyMs >= NOT_READY_GRACE_MS) {
    return { verdict: 'failed', reason: `${s.ready ?? 0} of ${s.replicas} replica(s) ready for ${Math.round(s.notReadyMs / 1000)} s (after ${seconds} s of the bake)` };
  }
  // A bake that saw too few requests (its probing started late: a restart of the control plane) goes on until it has seen enough.
  if (s.elapsedMs < s.bakeMs || (s.measured && s.requests < MIN_SAMPLE)) return { verdict: 'baking' };
  if (!s.measured) return { verdict: 'passed', summary: `replicas ready over ${seconds} s (requests not measured: the edge cannot be probed from the control plane)` };
  return { verdict: 'passed', summary: `${percent(rate)} errors over ${seconds} s (${s.errors} of ${s.requests} requests), replicas ready` };
}
