import { describe, expect, it } from 'vitest';
import { ANY_IMAGE, blankSettingsForm, currentText, defaultDomainOf, describeSettings, formTouched, settingsBody, type SettingsForm } from './env-settings';
import type { EnvironmentSettingsView } from './types';
import { parseBake, parseCpus, parseGrace, parseRate, parseSize, percent } from './units';

const now: EnvironmentSettingsView = {
  domain: 'prod.shop.acme.localhost',
  volumes: [],
  port: 8080,
  replicas: 1,
  maxSurge: 1,
  strategy: 'rolling',
  healthType: 'http',
  healthPath: '/',
  healthTimeout: 60,
  memoryBytes: null,
  nanoCpus: null,
  requireApproval: true,
  requirePromotionFrom: null,
  target: 'local',
  gatePipeline: 'tests',
  gateHealth: { bakeSeconds: 30, maxErrorRate: 0.05, path: '/healthz' },
  certificates: [],
};
const form = (change: Partial<SettingsForm>): SettingsForm => ({ ...blankSettingsForm, ...change });
const ownDefault = defaultDomainOf('acme', 'shop', 'prod');
const bodyOf = (s: EnvironmentSettingsView, f: SettingsForm) => settingsBody(s, f, ownDefault);

describe("an environment's settings form", () => {
  it('sends nothing for empty fields, nor for a value the setting already has', () => {
    expect(bodyOf(now, blankSettingsForm)).toEqual({ body: {} });
    expect(bodyOf(now, form({ domain: ' Prod.Shop.Acme.Localhost ', port: '8080', replicas: '1', strategy: 'rolling', approval: 'required', promotion: ANY_IMAGE, gatePipeline: 'tests', gateBake: '30s', target: 'local' }))).toEqual({ body: {} });
  });

  it('sends only what changed, as env set does, and says it in words', () => {
    const built = bodyOf(now, form({ domain: 'shop.example.localhost', replicas: '3', maxSurge: '2', strategy: 'recreate', healthType: 'tcp', healthTimeout: '90', memory: '512m', cpus: '0.5', approval: 'not-required', promotion: 'staging', gatePipeline: 'smoke', gateMaxErrorRate: '1%', servers: 'a, b' }));
    expect(built).toEqual({
      body: { domain: 'shop.example.localhost', replicas: 3, maxSurge: 2, strategy: 'recreate', healthType: 'tcp', healthTimeout: 90, memoryBytes: 512 * 1024 ** 2, nanoCpus: 500_000_000, requireApproval: false, requirePromotionFrom: 'staging', gatePipeline: 'smoke', gateHealth: { bakeSeconds: 30, maxErrorRate: 0.01, path: '/healthz' }, target: 'a,b' },
    });
    if (!('body' in built)) throw new Error('refused');
    expect(describeSettings(built.body)).toEqual(['domain shop.example.localhost', 'replicas 3', 'max surge 2', 'strategy recreate', 'health check tcp', 'health timeout 90 s', 'memory 512 MiB', 'CPUs 0.5', 'approval not required', 'only images that ran in staging', 'pipeline gate smoke', 'health gate 30 s bake, at most 1% errors on /healthz', 'runs on servers a,b']);
  });

  it('adds a volume as --volume NAME:/PATH and removes ticked ones as --remove-volume, by name', () => {
    const withData = { ...now, volumes: [{ name: 'data', path: '/var/lib/app', generation: 0, volume: 'slw-env_1-data' }] };
    const added = bodyOf(now, form({ addVolume: ' uploads:/srv/uploads ' }));
    expect(added).toEqual({ body: { volumes: { uploads: '/srv/uploads' } } });
    if (!('body' in added)) throw new Error('refused');
    expect(describeSettings(added.body)).toEqual(['volume uploads at /srv/uploads']);
    expect(bodyOf(withData, form({ removeVolumes: ['data'] }))).toEqual({ body: { volumes: { data: null } } });
    expect(describeSettings({ volumes: { data: null } })).toEqual(['no volume data (its data stays)']);
    // The path it has already, or a removal of one it does not have: nothing to send.
    expect(bodyOf(withData, form({ addVolume: 'data:/var/lib/app/' }))).toEqual({ body: {} });
    expect(bodyOf(now, form({ removeVolumes: ['gone'] }))).toEqual({ body: {} });
    expect(bodyOf(withData, form({ addVolume: 'data:/srv/data' }))).toEqual({ body: { volumes: { data: '/srv/data' } } });
    for (const bad of ['data', 'Data:/x', ':/x', 'data:']) expect(bodyOf(now, form({ addVolume: bad })), bad).toMatchObject({ error: { code: 'SLW_INVALID_VOLUME' } });
    expect(bodyOf(withData, form({ addVolume: 'data:/x', removeVolumes: ['data'] }))).toMatchObject({ error: { code: 'SLW_USAGE' } });
    expect(currentText(withData).volumes).toBe('data at /var/lib/app');
    expect(currentText(now).volumes).toBe('none');
    expect([currentText(withData).hasVolumes, currentText(now).hasVolumes]).toEqual([true, false]);
    expect(formTouched(blankSettingsForm)).toBe(false);
    expect(formTouched(form({ removeVolumes: ['data'] }))).toBe(true);
  });

  it('removes gates and a required promotion; a new health gate takes the defaults and needs a bake', () => {
    expect(bodyOf({ ...now, requirePromotionFrom: 'staging' }, form({ promotion: ANY_IMAGE, removePipelineGate: true, gatePipeline: 'ignored', removeHealthGate: true }))).toEqual({ body: { requirePromotionFrom: null, gatePipeline: null, gateHealth: null } });
    expect(describeSettings({ requirePromotionFrom: null, gatePipeline: null, gateHealth: null })).toEqual(['any image (no required promotion)', 'no pipeline gate of its own', 'no health gate of its own']);
    const bare = { ...now, gatePipeline: null, gateHealth: null };
    expect(bodyOf(bare, form({ removePipelineGate: true, removeHealthGate: true }))).toEqual({ body: {} });
    expect(bodyOf(bare, form({ gateBake: '2m' }))).toEqual({ body: { gateHealth: { bakeSeconds: 120, maxErrorRate: 0.05, path: '/' } } });
    expect(bodyOf(bare, form({ gatePath: '/up' }))).toMatchObject({ error: { code: 'SLW_INVALID_GATE' } });
  });

  it('puts the domain, memory and CPU limits back to their defaults (null), by checkbox or typed as the CLI takes them', () => {
    const custom = { ...now, domain: 'shop.example.com', memoryBytes: 512 * 1024 ** 2, nanoCpus: 500_000_000 };
    expect(ownDefault).toBe('prod.shop.acme.localhost');
    const checked = bodyOf(custom, form({ defaultDomain: true, domain: 'ignored.example.com', unlimitedMemory: true, memory: '1g', unlimitedCpus: true }));
    expect(checked).toEqual({ body: { domain: null, memoryBytes: null, nanoCpus: null } });
    expect(bodyOf(custom, form({ domain: ' Default ', memory: 'unlimited', cpus: 'UNLIMITED' }))).toEqual(checked);
    if (!('body' in checked)) throw new Error('refused');
    expect(describeSettings(checked.body)).toEqual(['the default domain', 'no memory limit', 'no CPU limit']);
    // Already at the default: nothing to send.
    expect(bodyOf(now, form({ defaultDomain: true, unlimitedMemory: true, cpus: 'unlimited' }))).toEqual({ body: {} });
    expect(bodyOf(custom, form({ cpus: 'none' }))).toEqual({ error: { code: 'SLW_VALIDATION', message: "cpus 'none' is not a positive number like 0.5 or 2; or give unlimited to remove the limit" } });
  });

  it("gives approval back to its default only when it is the environment's own", () => {
    const own = { ...now, gates: { requireApproval: false, pipeline: null, health: null, source: { approval: 'environment' as const, pipeline: 'none' as const, health: 'none' as const } } };
    expect(bodyOf({ ...own, requireApproval: false }, form({ approval: 'default' }))).toEqual({ body: { requireApproval: null } });
    expect(bodyOf({ ...own, gates: { ...own.gates, requireApproval: true, source: { ...own.gates.source, approval: 'default' } } }, form({ approval: 'default' }))).toEqual({ body: {} });
    expect(describeSettings({ requireApproval: null })).toEqual(['approval back to its default']);
  });

  it('leaves out-of-range and non-numeric whole numbers for the API to refuse; refuses in the browser only text the CLI refuses before sending', () => {
    expect(bodyOf(now, form({ replicas: '99', port: 'eighty' }))).toEqual({ body: { replicas: 99, port: 'eighty' } });
    expect(bodyOf(now, form({ gateBake: '1s' }))).toEqual({ body: { gateHealth: { bakeSeconds: 1, maxErrorRate: 0.05, path: '/healthz' } } });
    expect(bodyOf(now, form({ memory: 'lots' }))).toEqual({ error: { code: 'SLW_VALIDATION', message: "memory 'lots' is not a size like 512m or 1g; or give unlimited to remove the limit" } });
    expect(bodyOf(now, form({ cpus: 'half' }))).toMatchObject({ error: { code: 'SLW_VALIDATION' } });
    expect(bodyOf(now, form({ gateMaxErrorRate: 'some' }))).toMatchObject({ error: { code: 'SLW_INVALID_GATE' } });
    expect(bodyOf(now, form({ target: 'edge-1', serverLabel: 'zone=a' }))).toMatchObject({ error: { code: 'SLW_USAGE' } });
    expect(bodyOf(now, form({ serverLabel: 'zone=a' }))).toEqual({ body: { target: 'label:zone=a' } });
    // Copying the volumes' data goes with a move (--copy-volumes), never alone.
    expect(bodyOf(now, form({ target: 'edge-1', copyVolumes: true }))).toEqual({ body: { target: 'edge-1', copyVolumes: true } });
    expect(bodyOf(now, form({ copyVolumes: true }))).toMatchObject({ error: { code: 'SLW_USAGE' } });
    expect(describeSettings({ target: 'edge-1', copyVolumes: true })).toEqual(["runs on edge-1, its volumes' data copied there"]);
    expect(bodyOf(now, form({ target: 'edge-1', copyVolumes: true, stopFirst: true }))).toEqual({ body: { target: 'edge-1', copyVolumes: true, stopFirst: true } });
    expect(describeSettings({ target: 'edge-1', copyVolumes: true, stopFirst: true })).toEqual(["runs on edge-1, its volumes' data copied there (stopped here first)"]);
  });

  it('says what each setting is now, and where a gate comes from', () => {
    const text = currentText({ ...now, memoryBytes: 256 * 1024 ** 2, nanoCpus: 1_500_000_000, target: 'label:zone=a', gates: { requireApproval: true, pipeline: 'tests', health: null, source: { approval: 'default', pipeline: 'manifest', health: 'none' } } });
    expect(text).toMatchObject({ memory: '256 MiB', cpus: '1.5', target: 'every server labelled zone=a', approval: 'required for promotions, deploys and rollbacks', gatePipeline: 'tests (from the project manifest)', gateHealth: 'none', promotion: 'any image' });
  });
});

describe('units as typed', () => {
  it('reads sizes, CPUs, bakes and rates as the CLI does', () => {
    expect(parseSize('1g')).toEqual({ value: 1024 ** 3 });
    expect(parseSize('256Mi')).toEqual({ value: 256 * 1024 ** 2 });
    expect(parseSize('1.5 GiB')).toEqual({ value: 1.5 * 1024 ** 3 });
    expect(parseSize('7000000')).toEqual({ value: 7_000_000 });
    expect(parseCpus('2')).toEqual({ value: 2e9 });
    expect(parseCpus('0')).toMatchObject({ error: { code: 'SLW_VALIDATION' } });
    expect(parseBake('45')).toEqual({ value: 45 });
    expect(parseBake('30 min')).toMatchObject({ error: { code: 'SLW_INVALID_GATE' } });
    expect([parseGrace('0s'), parseGrace('10m'), parseGrace('1h'), parseGrace('2d'), parseGrace('90')]).toEqual([{ value: 0 }, { value: 600 }, { value: 3600 }, { value: 172800 }, { value: 90 }]);
    expect(parseGrace('1 week')).toMatchObject({ error: { code: 'SLW_USAGE' } });
    expect(parseRate('0.5%')).toEqual({ value: 0.005 });
    expect(parseRate('0.05')).toEqual({ value: 0.05 });
    expect([percent(0.05), percent(0.005), percent(0.123)]).toEqual(['5%', '0.5%', '12.3%']);
  });
});
