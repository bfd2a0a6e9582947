import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manifestJsonSchema } from './schema.js';
import { parseManifest } from './parse.js';

function errorOf(text: string): { code: string; message: string } {
  try {
    parseManifest(text);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected the manifest to be refused');
}

const good = `
build:
  runtime: node
pipelines:
  test:
    jobs:
      - name: unit
        image: $build
        command: npm test
        env: { CI: "true" }
        timeout: 2m
        resources: { cpus: 0.5, memory: 256m }
      - name: lint
        image: $build
        command: [node, lint.js]
release:
  jobs:
    - name: migrate
      image: $build
      command: ./migrate
gates:
  prod:
    approval: true
    pipeline: test
    health: { bake: 45s, maxErrorRate: 2%, path: /healthz }
`;

describe('parseManifest', () => {
  it('normalises a full manifest: commands, durations, resources, gates', () => {
    const m = parseManifest(good);
    expect(m.build).toEqual({ runtime: 'node', base: null, dockerfile: null, network: false });
    expect(m.pipelines.test!.jobs[0]).toEqual({ name: 'unit', image: '$build', command: ['/bin/sh', '-c', 'npm test'], env: { CI: 'true' }, timeoutSeconds: 120, resources: { cpuMillis: 500, memoryBytes: 256 * 1024 ** 2 } });
    expect(m.pipelines.test!.jobs[1]!.command).toEqual(['node', 'lint.js']);
    expect(m.pipelines.test!.jobs[1]!.timeoutSeconds).toBe(600);
    expect(m.release!.jobs.map((j) => j.name)).toEqual(['migrate']);
    expect(m.gates.prod).toEqual({ approval: true, pipeline: 'test', health: { bakeSeconds: 45, maxErrorRate: 0.02, path: '/healthz' } });
  });

  it('takes an empty file as an empty manifest', () => {
    expect(parseManifest('')).toEqual({ build: { runtime: null, base: null, dockerfile: null, network: false }, pipelines: {}, release: null, gates: {} });
  });

  it('gives line and column of a wrong type', () => {
    const e = errorOf('pipelines:\n  test:\n    jobs:\n      - name: unit\n        image: 42\n');
    expect(e.code).toBe('SLW_MANIFEST_INVALID');
    expect(e.message).toMatch(/^slipway\.yaml:5:16: pipelines\.test\.jobs\[0\]\.image: /);
  });

  it('points at an unknown field by its key', () => {
    const e = errorOf('pipelines:\n  test:\n    jobs:\n      - name: unit\n        image: x\n        timout: 5m\n');
    expect(e.message).toContain('slipway.yaml:6:9: pipelines.test.jobs[0].timout: unknown field');
  });

  it('says where a required field is missing', () => {
    const e = errorOf('release:\n  jobs:\n    - name: migrate\n');
    expect(e.message).toMatch(/^slipway\.yaml:3:7: release\.jobs\[0\]\.image: missing/);
  });

  it('reports YAML syntax errors with their position', () => {
    const e = errorOf('pipelines:\n  test: [unclosed\n');
    expect(e.code).toBe('SLW_MANIFEST_INVALID');
    expect(e.message).toMatch(/^slipway\.yaml:\d+:\d+: /);
  });

  it('refuses duplicate keys, bad durations, bad names, a gate naming no pipeline', () => {
    expect(errorOf('build: {}\nbuild: {}\n').message).toMatch(/^slipway\.yaml:2:1: .*unique/i);
    expect(errorOf('pipelines:\n  t:\n    jobs:\n      - { name: a, image: x, timeout: soon }\n').message).toMatch(/slipway\.yaml:4:39: .*timeout: duration 'soon'/);
    expect(errorOf('pipelines:\n  Tests:\n    jobs: [{ name: a, image: x }]\n').message).toMatch(/^slipway\.yaml:2:3: pipelines\.Tests: a pipeline name/);
    expect(errorOf('gates:\n  prod:\n    pipeline: e2e\n').message).toMatch(/^slipway\.yaml:3:15: gates\.prod\.pipeline: no pipeline 'e2e'/);
    expect(errorOf('release:\n  jobs:\n    - { name: a, image: x }\n    - { name: a, image: y }\n').message).toMatch(/slipway\.yaml:4:15: release\.jobs\[1\]\.name: job name 'a' is used twice/);
    expect(errorOf('pipelines:\n  t:\n    jobs: [{ name: a, image: x, timeout: 48h }]\n').message).toMatch(/at most 24h/);
  });

  it("takes a job's volumes as names of the environment's volumes, in pipelines and the release step; none: no field", () => {
    const m = parseManifest('pipelines:\n  report:\n    jobs:\n      - { name: r, image: $build, volumes: [data, "uploads:ro"] }\n      - { name: s, image: $build, volumes: [] }\nrelease:\n  jobs:\n    - name: migrate\n      image: $build\n      volumes:\n        - data\n');
    expect(m.pipelines.report!.jobs[0]!.volumes).toEqual(['data', 'uploads:ro']);
    expect(m.release!.jobs[0]!.volumes).toEqual(['data']);
    // None (or an empty list) leaves the field out: what a manifest without volumes runs keeps its review digest.
    expect('volumes' in m.pipelines.report!.jobs[1]!).toBe(false);
    expect('volumes' in parseManifest(good).release!.jobs[0]!).toBe(false);
  });

  it('refuses a bad volume name, one listed twice and more than 8, with the line and what to do', () => {
    const bad = errorOf('release:\n  jobs:\n    - name: migrate\n      image: $build\n      volumes: [data, Data_2]\n');
    expect(bad.code).toBe('SLW_MANIFEST_INVALID');
    expect(bad.message).toMatch(/^slipway\.yaml:5:23: release\.jobs\[0\]\.volumes\[1\]: a job's volume "Data_2" must be NAME or NAME:ro, NAME one of the environment's volumes \(1–32 lowercase letters, digits and '-'\)/);
    const twice = errorOf('pipelines:\n  t:\n    jobs:\n      - name: a\n        image: x\n        volumes: [data, uploads, data]\n');
    expect(twice.message).toMatch(/^slipway\.yaml:6:34: pipelines\.t\.jobs\[0\]\.volumes\[2\]: volume 'data' is listed twice: list each volume once$/);
    // Read-only or not, one volume is one mount.
    expect(errorOf('pipelines:\n  t:\n    jobs:\n      - { name: a, image: x, volumes: [data, "data:ro"] }\n').message).toMatch(/volumes\[1\]: volume 'data' is listed twice/);
    const nine = Array.from({ length: 9 }, (_, i) => `v${i}`).join(', ');
    expect(errorOf(`pipelines:\n  t:\n    jobs:\n      - { name: a, image: x, volumes: [${nine}] }\n`).message).toMatch(/^slipway\.yaml:4:\d+: pipelines\.t\.jobs\[0\]\.volumes: a job mounts at most 8 volumes .*list only those the job needs$/);
    expect(errorOf('pipelines:\n  t:\n    jobs:\n      - { name: a, image: x, volumes: data }\n').message).toMatch(/pipelines\.t\.jobs\[0\]\.volumes: /);
    expect(errorOf('pipelines:\n  t:\n    jobs:\n      - { name: a, image: x, volumes: [data:/var/lib/app] }\n').message).toMatch(/volumes\[0\]: a job's volume "data:\/var\/lib\/app" must be NAME or NAME:ro/);
  });

  it('refuses an oversized manifest and alias bombs', () => {
    expect(errorOf(`# ${'x'.repeat(300 * 1024)}\n`).message).toMatch(/larger than 256 KiB/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
    expect(errorOf(bomb).code).toBe('SLW_MANIFEST_INVALID');
  });

  it('publishes the JSON Schema editors use, in sync with docs/slipway.schema.json', () => {
    const published = JSON.parse(readFileSync(new URL('../../docs/slipway.schema.json', import.meta.url), 'utf8')) as unknown;
    expect(published).toEqual(manifestJsonSchema());
    expect(JSON.stringify(published)).toContain('"pipelines"');
  });
});
