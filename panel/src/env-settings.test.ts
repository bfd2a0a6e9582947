import { describe, expect, it } from 'vitest';
import { ANY_IMAGE, blankSettingsForm, currentText, describeSettings, settingsBody, type SettingsForm } from './env-settings';
import type { EnvironmentSettingsView } from './types';
import { parseBake, parseCpus, parseRate, parseSize, percent } from './units';

const now: EnvironmentSettingsView = {
  domain: 'prod.shop.acme.localhost',
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

describe("an environment's settings form", () => {
  it('sends nothing for empty fields, nor for a value the setting already has', () => {
    expect(settingsBody(now, blankSettingsForm)).toEqual({ body: {} });
    expect(settingsBody(now, form({ domain: ' Prod.Shop.Acme.Localhost ', port: '8080', replicas: '1', strategy: 'rolling', approval: 'required', promotion: ANY_IMAGE, gatePipeline: 'tests', gateBake: '30s', target: 'local' }))).toEqual({ body: {} });
  });

  it('sends only what changed, as env set does, and says it in words', () => {
    const built = settingsBody(now, form({ domain: 'shop.example.localhost', replicas: '3', maxSurge: '2', strategy: 'recreate', healthType: 'tcp', healthTimeout: '90', memory: '512m', cpus: '0.5', approval: 'not-required', promotion: 'staging', gatePipeline: 'smoke', gateMaxErrorRate: '1%', servers: 'a, b' }));
    expect(built).toEqual({
      body: { domain: 'shop.example.localhost', replicas: 3, maxSurge: 2, strategy: 'recreate', healthType: 'tcp', healthTimeout: 90, memoryBytes: 512 * 1024 ** 2, nanoCpus: 500_000_000, requireApproval: false, requirePromotionFrom: 'staging', gatePipeline: 'smoke', gateHealth: { bakeSeconds: 30, maxErrorRate: 0.01, path: '/healthz' }, target: 'a,b' },
    });
    if (!('body' in built)) throw new Error('refused');
    expect(describeSettings(built.body)).toEqual(['domain shop.example.localhost', 'replicas 3', 'max surge 2', 'strategy recreate', 'health check tcp', 'health timeout 90 s', 'memory 512 MiB', 'CPUs 0.5', 'approval not required', 'only images that ran in staging', 'pipeline gate smoke', 'health gate 30 s bake, at most 1% errors on /healthz', 'runs on servers a,b']);
  });

  it('removes gates and a required promotion; a new health gate takes the defaults and needs a bake', () => {
    expect(settingsBody({ ...now, requirePromotionFrom: 'staging' }, form({ promotion: ANY_IMAGE, removePipelineGate: true, gatePipeline: 'ignored', removeHealthGate: true }))).toEqual({ body: { requirePromotionFrom: null, gatePipeline: null, gateHealth: null } });
    expect(describeSettings({ requirePromotionFrom: null, gatePipeline: null, gateHealth: null })).toEqual(['any image (no required promotion)', 'no pipeline gate of its own', 'no health gate of its own']);
    const bare = { ...now, gatePipeline: null, gateHealth: null };
    expect(settingsBody(bare, form({ removePipelineGate: true, removeHealthGate: true }))).toEqual({ body: {} });
    expect(settingsBody(bare, form({ gateBake: '2m' }))).toEqual({ body: { gateHealth: { bakeSeconds: 120, maxErrorRate: 0.05, path: '/' } } });
    expect(settingsBody(bare, form({ gatePath: '/up' }))).toMatchObject({ error: { code: 'SLW_INVALID_GATE' } });
  });

  it('leaves out-of-range and non-numeric whole numbers for the API to refuse; refuses in the browser only text the CLI refuses before sending', () => {
    expect(settingsBody(now, form({ replicas: '99', port: 'eighty' }))).toEqual({ body: { replicas: 99, port: 'eighty' } });
    expect(settingsBody(now, form({ gateBake: '1s' }))).toEqual({ body: { gateHealth: { bakeSeconds: 1, maxErrorRate: 0.05, path: '/healthz' } } });
    expect(settingsBody(now, form({ memory: 'lots' }))).toEqual({ error: { code: 'SLW_VALIDATION', message: "memory 'lots' is not a size like 512m or 1g" } });
    expect(settingsBody(now, form({ cpus: 'half' }))).toMatchObject({ error: { code: 'SLW_VALIDATION' } });
    expect(settingsBody(now, form({ gateMaxErrorRate: 'some' }))).toMatchObject({ error: { code: 'SLW_INVALID_GATE' } });
    expect(settingsBody(now, form({ target: 'edge-1', serverLabel: 'zone=a' }))).toMatchObject({ error: { code: 'SLW_USAGE' } });
    expect(settingsBody(now, form({ serverLabel: 'zone=a' }))).toEqual({ body: { target: 'label:zone=a' } });
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
    expect(parseRate('0.5%')).toEqual({ value: 0.005 });
    expect(parseRate('0.05')).toEqual({ value: 0.05 });
    expect([percent(0.05), percent(0.005), percent(0.123)]).toEqual(['5%', '0.5%', '12.3%']);
  });
});
