/**
 * An environment's settings form, as `slipway env set` takes them, turned into the body of
 * `PATCH …/environments/ENV/settings`: an empty field leaves its setting as it is, and only what
 * differs from the settings now is sent; the changes are said in words before and after. The
 * domain, memory and CPU limits go back to their defaults (null) with a checkbox, or typed as the
 * CLI takes them (`default`, `unlimited`). Pure.
 */
import { formatBytes } from './format';
import type { EnvironmentSettingsView, SettingsChangeBody } from './types';
import { cpusText, limitOrUnlimited, parseBake, parseCpus, parseRate, parseSize, percent, UNLIMITED, type LocalRefusal } from './units';

/** What each field holds as typed; '' is "leave it". */
export interface SettingsForm {
  domain: string;
  /** Back to the environment's default domain (as `--domain default`). */
  defaultDomain: boolean;
  port: string;
  replicas: string;
  maxSurge: string;
  strategy: '' | 'rolling' | 'recreate';
  healthType: '' | 'http' | 'tcp' | 'image';
  healthPath: string;
  healthTimeout: string;
  memory: string;
  /** No memory limit (as `--memory unlimited`). */
  unlimitedMemory: boolean;
  cpus: string;
  /** No CPU limit (as `--cpus unlimited`). */
  unlimitedCpus: boolean;
  /** `default`: back to the default approval (prod's, or the project manifest's), as `--require-approval default`. */
  approval: '' | 'required' | 'not-required' | 'default';
  /** '' leaves it, {@link ANY_IMAGE} drops the requirement, else an environment's name. */
  promotion: string;
  gatePipeline: string;
  removePipelineGate: boolean;
  gateBake: string;
  gateMaxErrorRate: string;
  gatePath: string;
  removeHealthGate: boolean;
  target: string;
  servers: string;
  serverLabel: string;
  /** With a new place: carry the volumes' data along, as `--copy-volumes`. */
  copyVolumes: boolean;
  /** With copyVolumes: stop it on the old target before the backups (as --stop-first). */
  stopFirst: boolean;
  /** `NAME:/PATH`, as `--volume`: a volume added (or an existing one mounted elsewhere). */
  addVolume: string;
  /** Names of volumes no longer mounted, as `--remove-volume`. */
  removeVolumes: string[];
}

/** No environment is called this (names are lowercase letters, digits and '-'). */
export const ANY_IMAGE = '(any)';

export const blankSettingsForm: SettingsForm = {
  domain: '', defaultDomain: false, port: '', replicas: '', maxSurge: '', strategy: '', healthType: '', healthPath: '', healthTimeout: '', memory: '', unlimitedMemory: false, cpus: '', unlimitedCpus: false,
  approval: '', promotion: '', gatePipeline: '', removePipelineGate: false, gateBake: '', gateMaxErrorRate: '', gatePath: '', removeHealthGate: false,
  target: '', servers: '', serverLabel: '', copyVolumes: false, stopFirst: false, addVolume: '', removeVolumes: [],
};

/** Whether anything is typed or ticked in the form. */
export const formTouched = (form: SettingsForm): boolean => Object.values(form).some((v) => (Array.isArray(v) ? v.length > 0 : v !== '' && v !== false));

const volumeName = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** The volumes change of the form (`--volume NAME:/PATH`, `--remove-volume NAME`), or undefined; the path is checked by the API (SLW_INVALID_VOLUME). */
function volumesOf(s: EnvironmentSettingsView, form: SettingsForm): { value: Record<string, string | null> | undefined } | { error: LocalRefusal } {
  const change: Record<string, string | null> = {};
  for (const name of form.removeVolumes) if (s.volumes.some((v) => v.name === name)) change[name] = null;
  const text = form.addVolume.trim();
  if (text) {
    const at = text.indexOf(':');
    const name = at < 0 ? '' : text.slice(0, at);
    const path = at < 0 ? '' : text.slice(at + 1);
    if (!volumeName.test(name) || !path) return { error: { code: 'SLW_INVALID_VOLUME', message: `a volume is NAME:/PATH with a name of 1–32 lowercase letters, digits and '-', e.g. data:/var/lib/app (got '${text}')` } };
    if (name in change) return { error: { code: 'SLW_USAGE', message: `volume ${name} is both added and removed: do one of the two` } };
    if (s.volumes.find((v) => v.name === name)?.path !== path.replace(/\/+$/, '')) change[name] = path;
  }
  return { value: Object.keys(change).length > 0 ? change : undefined };
}

/** The fields only admins and owners may send, left empty: a form without them. */
export const blankProtection = { approval: '', promotion: '', gatePipeline: '', removePipelineGate: false, gateBake: '', gateMaxErrorRate: '', gatePath: '', removeHealthGate: false } satisfies Partial<SettingsForm>;

const wholeNumberKeys = ['port', 'replicas', 'maxSurge', 'healthTimeout'] as const;
type WholeNumberKey = (typeof wholeNumberKeys)[number];

/** The body sent: the API's shape, where a whole-number field may also be the text as typed (not a whole number), for the API to refuse with its code. */
export type SettingsBody = Omit<SettingsChangeBody, WholeNumberKey> & { [K in WholeNumberKey]?: number | string | null };

export type Built = { body: SettingsBody } | { error: LocalRefusal };

/** The word the domain field takes for the default domain, as `env set --domain default`. */
export const DEFAULT_DOMAIN = 'default';

/** `<env>.<project>.<workspace>.localhost`, the domain an environment has unless it sets one (src/core/deploy.ts defaultDomain). */
export const defaultDomainOf = (ws: string, project: string, env: string): string => `${env}.${project}.${ws}.localhost`;

/** The settings `s` would become with `form`: the fields that differ from `s`, or why the browser refuses the form (text that is no size, CPU count, bake or rate; two placements). `ownDefault`: the environment's default domain. */
export function settingsBody(s: EnvironmentSettingsView, form: SettingsForm, ownDefault: string): Built {
  const body: SettingsBody = {};
  const domain = form.domain.trim();
  if (form.defaultDomain || domain.toLowerCase() === DEFAULT_DOMAIN) {
    if (s.domain !== ownDefault) body.domain = null;
  } else if (domain && domain.toLowerCase() !== s.domain) body.domain = domain;
  for (const key of wholeNumberKeys) {
    const text = form[key].trim();
    if (!text) continue;
    const n = /^\d+$/.test(text) ? Number(text) : text;
    if (n !== s[key]) body[key] = n;
  }
  if (form.strategy && form.strategy !== s.strategy) body.strategy = form.strategy;
  if (form.healthType && form.healthType !== s.healthType) body.healthType = form.healthType;
  const healthPath = form.healthPath.trim();
  if (healthPath && healthPath !== s.healthPath) body.healthPath = healthPath;
  if (form.unlimitedMemory || form.memory.trim()) {
    const m = form.unlimitedMemory ? { value: null } : limitOrUnlimited(form.memory, parseSize);
    if ('error' in m) return m;
    if (m.value !== s.memoryBytes) body.memoryBytes = m.value;
  }
  if (form.unlimitedCpus || form.cpus.trim()) {
    const c = form.unlimitedCpus ? { value: null } : limitOrUnlimited(form.cpus, parseCpus);
    if ('error' in c) return c;
    if (c.value !== s.nanoCpus) body.nanoCpus = c.value;
  }
  if (form.approval === 'default') {
    // Only an approval of its own has a default to go back to.
    if ((s.gates?.source.approval ?? 'environment') === 'environment') body.requireApproval = null;
  } else if (form.approval && (form.approval === 'required') !== s.requireApproval) body.requireApproval = form.approval === 'required';
  if (form.promotion) {
    const from = form.promotion === ANY_IMAGE ? null : form.promotion;
    if (from !== s.requirePromotionFrom) body.requirePromotionFrom = from;
  }
  const pipeline = form.gatePipeline.trim();
  if (form.removePipelineGate) {
    if (s.gatePipeline !== null) body.gatePipeline = null;
  } else if (pipeline && pipeline !== s.gatePipeline) body.gatePipeline = pipeline;
  const health = healthGate(s, form);
  if ('error' in health) return health;
  if (health.value !== undefined) body.gateHealth = health.value;
  const placement = placementOf(form);
  if ('error' in placement) return placement;
  if (placement.value !== undefined && placement.value !== s.target) body.target = placement.value;
  if (form.copyVolumes) {
    if (body.target === undefined) return { error: { code: 'SLW_USAGE', message: "Copy the volumes' data goes with a move: give the new Target too" } };
    body.copyVolumes = true;
    if (form.stopFirst) body.stopFirst = true;
  }
  const volumes = volumesOf(s, form);
  if ('error' in volumes) return volumes;
  if (volumes.value !== undefined) body.volumes = volumes.value;
  return { body };
}

type Gate = NonNullable<EnvironmentSettingsView['gateHealth']>;

/** The environment's own health gate with the fields typed (a new one takes the CLI's defaults: 5%, `/`, and needs a bake); undefined: unchanged. */
function healthGate(s: EnvironmentSettingsView, form: SettingsForm): { value: Gate | null | undefined } | { error: LocalRefusal } {
  if (form.removeHealthGate) return { value: s.gateHealth === null ? undefined : null };
  const [bakeText, rateText, path] = [form.gateBake.trim(), form.gateMaxErrorRate.trim(), form.gatePath.trim()];
  if (!bakeText && !rateText && !path) return { value: undefined };
  const bake = bakeText ? parseBake(bakeText) : s.gateHealth ? { value: s.gateHealth.bakeSeconds } : null;
  if (bake === null) return { error: { code: 'SLW_INVALID_GATE', message: 'a new health gate needs its bake: give one like 30s or 2m (the error rate defaults to 5%, the path to /)' } };
  if ('error' in bake) return bake;
  const rate = rateText ? parseRate(rateText) : { value: s.gateHealth?.maxErrorRate ?? 0.05 };
  if ('error' in rate) return rate;
  const gate = { bakeSeconds: bake.value, maxErrorRate: rate.value, path: path || (s.gateHealth?.path ?? '/') };
  const same = s.gateHealth && gate.bakeSeconds === s.gateHealth.bakeSeconds && gate.maxErrorRate === s.gateHealth.maxErrorRate && gate.path === s.gateHealth.path;
  return { value: same ? undefined : gate };
}

/** One of target, servers (`a, b` → `a,b`) and server label (`label:KEY=VALUE`), as `--target`, `--servers` and `--server-label`. */
function placementOf(form: SettingsForm): { value: string | undefined } | { error: LocalRefusal } {
  const [target, servers, label] = [form.target.trim(), form.servers.trim(), form.serverLabel.trim()];
  if ([target, servers, label].filter(Boolean).length > 1) return { error: { code: 'SLW_USAGE', message: 'give one of Target, Servers and Server label: each replaces where the environment runs' } };
  if (target) return { value: target };
  if (servers) return { value: servers.split(',').map((x) => x.trim()).filter(Boolean).join(',') };
  if (label) return { value: `label:${label}` };
  return { value: undefined };
}

export const gateText = (g: Gate): string => `${g.bakeSeconds} s bake, at most ${percent(g.maxErrorRate)} errors on ${g.path}`;

/** `local`, `servers a,b`, `servers labelled k=v`. */
export function placementText(target: string): string {
  if (target.startsWith('label:')) return `every server labelled ${target.slice('label:'.length)}`;
  return target.includes(',') ? `servers ${target}` : target;
}

/** The changes of a body in words, in the form's order. */
export function describeSettings(body: SettingsBody): string[] {
  const out: string[] = [];
  const say = (cond: boolean, text: () => string) => cond && out.push(text());
  say(body.domain !== undefined, () => (body.domain ? `domain ${body.domain}` : 'the default domain'));
  say(body.port != null, () => `port ${body.port}`);
  say(body.replicas != null, () => `replicas ${body.replicas}`);
  say(body.maxSurge != null, () => `max surge ${body.maxSurge}`);
  say(body.strategy != null, () => `strategy ${body.strategy}`);
  say(body.healthType != null, () => `health check ${body.healthType}`);
  say(body.healthPath != null, () => `health path ${body.healthPath}`);
  say(body.healthTimeout != null, () => `health timeout ${body.healthTimeout} s`);
  say(body.memoryBytes !== undefined, () => (body.memoryBytes != null ? `memory ${formatBytes(body.memoryBytes)}` : 'no memory limit'));
  say(body.nanoCpus !== undefined, () => (body.nanoCpus != null ? `CPUs ${cpusText(body.nanoCpus)}` : 'no CPU limit'));
  say(body.requireApproval !== undefined, () => (body.requireApproval === null ? 'approval back to its default' : body.requireApproval ? 'approval required' : 'approval not required'));
  say(body.requirePromotionFrom !== undefined, () => (body.requirePromotionFrom ? `only images that ran in ${body.requirePromotionFrom}` : 'any image (no required promotion)'));
  say(body.gatePipeline !== undefined, () => (body.gatePipeline ? `pipeline gate ${body.gatePipeline}` : 'no pipeline gate of its own'));
  say(body.gateHealth !== undefined, () => (body.gateHealth ? `health gate ${gateText(body.gateHealth)}` : 'no health gate of its own'));
  say(body.target != null, () => `runs on ${placementText(body.target ?? '')}${body.copyVolumes ? `, its volumes' data copied there${body.stopFirst ? ' (stopped here first)' : ''}` : ''}`);
  for (const [name, path] of Object.entries(body.volumes ?? {})) out.push(path === null ? `no volume ${name} (its data stays)` : `volume ${name} at ${path}`);
  return out;
}

const from = (source: string) => (source === 'manifest' ? ' (from the project manifest)' : '');

/** What each setting is now, in words, for the hint under its field. */
export function currentText(s: EnvironmentSettingsView) {
  const g = s.gates ?? { requireApproval: s.requireApproval, pipeline: s.gatePipeline, health: s.gateHealth, source: { approval: 'environment', pipeline: 'environment', health: 'environment' } };
  return {
    domain: s.domain,
    port: String(s.port),
    replicas: String(s.replicas),
    maxSurge: String(s.maxSurge),
    strategy: s.strategy,
    healthType: s.healthType,
    healthPath: s.healthType === 'http' ? s.healthPath : `${s.healthPath} (used by http checks)`,
    healthTimeout: `${s.healthTimeout} s`,
    memory: s.memoryBytes === null ? UNLIMITED : formatBytes(s.memoryBytes),
    cpus: s.nanoCpus === null ? UNLIMITED : cpusText(s.nanoCpus),
    approval: g.requireApproval ? `required for promotions, deploys and rollbacks${from(g.source.approval)}` : 'not required',
    promotion: s.requirePromotionFrom ? `only images that ran in ${s.requirePromotionFrom}` : 'any image',
    gatePipeline: g.pipeline ? `${g.pipeline}${from(g.source.pipeline)}` : 'none',
    gateHealth: g.health ? `${gateText(g.health)}${from(g.source.health)}` : 'none',
    target: placementText(s.target),
    volumes: s.volumes.length === 0 ? 'none' : s.volumes.map((v) => `${v.name} at ${v.path}`).join(', '),
    hasVolumes: s.volumes.length > 0,
  };
}
