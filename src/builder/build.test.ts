import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../core/oci.js';
import { buildImage, scratchBase } from './build.js';
import { buildJar, fakeBase, tarBytes, tarGzBytes, zipBytes, type TarFixture } from './test-support/fixtures.js';
import type { BuildInput, BuiltImage } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const scratch = (): string => join(dir, `work${n++}`);
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function artifact(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const build = (input: Partial<BuildInput> & { artifactPath: string }): Promise<BuiltImage> => buildImage({ version: '1.0.0', base: fakeBase(), workDir: scratch(), ...input });
interface ContainerConfig {
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  ExposedPorts?: Record<string, object>;
  Labels: Record<string, string>;
}
interface ImageConfig {
  created: string;
  container?: string;
  config: ContainerConfig;
  rootfs: { diff_ids: string[] };
  history: unknown[];
}
interface Manifest {
  mediaType: string;
  config: { mediaType: string };
  layers: { mediaType: string }[];
  annotations?: Record<string, string>;
}
const configOf = (i: BuiltImage): ImageConfig => JSON.parse(i.config.bytes.toString()) as ImageConfig;
const manifestOf = (i: BuiltImage): Manifest => JSON.parse(i.manifest.bytes.toString()) as Manifest;
const refusal = async (p: Promise<unknown>): Promise<{ code: string; message: string }> => p.then(() => { throw new Error('expected a refusal'); }, (e: { code: string; message: string }) => e);

function extract(image: BuiltImage, index: number): string {
  const out = scratch();
  mkdirSync(out, { recursive: true });
  const layer = image.newLayers[index];
  if (!layer) throw new Error(`no layer ${index}`);
  execFileSync('tar', ['-xzf', layer.file, '-C', out]);
  return out;
}

describe('java', () => {
  let jar: string;
  beforeAll(() => {
    const jdk = join(dir, 'jdk');
    mkdirSync(jdk);
    jar = buildJar(jdk);
  });

  it('puts the executable JAR at /app/app.jar with a java entrypoint', async () => {
    const image = await build({ artifactPath: jar });
    expect(image.runtime).toBe('java');
    expect(image.artifactDigest).toBe(sha(readFileSync(jar)));
    expect(image.newLayers).toHaveLength(1);
    expect(readFileSync(join(extract(image, 0), 'app', 'app.jar')).equals(readFileSync(jar))).toBe(true);
    const config = configOf(image);
    expect(config.config).toEqual({
      Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'PORT=8080'],
      Entrypoint: ['/bin/sh', '-c', 'exec java $JAVA_OPTS -jar /app/app.jar'],
      WorkingDir: '/app',
      ExposedPorts: { '8080/tcp': {} },
      Labels: {
        'org.opencontainers.image.version': '1.0.0',
        'io.slipway.artifact.digest': image.artifactDigest,
        'io.slipway.runtime': 'java',
        'org.opencontainers.image.base.name': 'registry.example/base/runtime:1',
        'org.opencontainers.image.base.digest': `sha256:${'b'.repeat(64)}`,
      },
    });
    expect(config.created).toBe('1970-01-01T00:00:00Z');
    expect(config.container).toBeUndefined();
    expect(config.rootfs.diff_ids).toEqual([`sha256:${'d'.repeat(64)}`, image.newLayers[0]?.diffId]);
    expect(config.history[1]).toEqual({ created: '1970-01-01T00:00:00Z', created_by: 'slipway: java application /app/app.jar', comment: 'slipway build' });
    expect(image.config.digest).toBe(sha(image.config.bytes));
    expect(image.manifest.digest).toBe(sha(image.manifest.bytes));
    const info = parseManifest(image.manifest.bytes, image.manifest.mediaType);
    expect(info.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(info.blobs.map((d) => d.mediaType)).toEqual(['application/vnd.oci.image.config.v1+json', 'application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+gzip']);
    expect(info.annotations).toEqual({ 'org.opencontainers.image.base.name': 'registry.example/base/runtime:1', 'org.opencontainers.image.base.digest': `sha256:${'b'.repeat(64)}` });
    expect(image.steps.map((s) => s.name)).toEqual(['digest artifact', 'read archive', 'detect runtime', 'layer app', 'config and manifest']);
  });

  it('is reproducible: same artifact, base and version give the same manifest bytes', async () => {
    const a = await build({ artifactPath: jar });
    const b = await build({ artifactPath: jar });
    expect(b.manifest.bytes.equals(a.manifest.bytes)).toBe(true);
    expect(b.manifest.digest).toBe(a.manifest.digest);
  });

  it('another version changes only the config label; layers stay identical', async () => {
    const a = await build({ artifactPath: jar, version: '1.0.0' });
    const b = await build({ artifactPath: jar, version: '1.0.1' });
    expect(b.newLayers.map((l) => [l.digest, l.diffId])).toEqual(a.newLayers.map((l) => [l.digest, l.diffId]));
    expect(b.manifest.digest).not.toBe(a.manifest.digest);
    const ca = configOf(a);
    const cb = configOf(b);
    expect(cb.config.Labels['org.opencontainers.image.version']).toBe('1.0.1');
    cb.config.Labels['org.opencontainers.image.version'] = '1.0.0';
    expect(cb).toEqual(ca);
  });

  it('uses Docker media types for a Docker base, and the base PORT when it sets one', async () => {
    const image = await build({ artifactPath: jar, base: fakeBase('docker', { Env: ['PORT=9000'] }) });
    const m = manifestOf(image);
    expect(m.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(m.config.mediaType).toBe('application/vnd.docker.container.image.v1+json');
    expect(m.layers.map((l) => l.mediaType)).toEqual(['application/vnd.docker.image.rootfs.diff.tar.gzip', 'application/vnd.docker.image.rootfs.diff.tar.gzip']);
    expect(m.annotations).toBeUndefined();
    expect(configOf(image).config.Env).toEqual(['PORT=9000']);
    expect(configOf(image).config.ExposedPorts).toEqual({ '9000/tcp': {} });
  });

  it('refuses a JAR without Main-Class, and java for a tarball', async () => {
    const lib = buildJar(join(dir, 'jdk'), { mainClass: false });
    const e = await refusal(build({ artifactPath: lib }));
    expect(e).toMatchObject({ code: 'SLW_ARTIFACT_INVALID', message: expect.stringMatching(/no Main-Class/) });
    const tar = artifact('site.tar', tarBytes([{ name: 'index.html', content: 'x' }]));
    expect(await refusal(build({ artifactPath: tar, runtime: 'java' }))).toMatchObject({ code: 'SLW_ARTIFACT_INVALID', message: expect.stringMatching(/--runtime java needs an executable JAR, but the artifact is a tar archive/) });
    expect(await refusal(build({ artifactPath: tar, runtime: 'python' }))).toMatchObject({ code: 'SLW_RUNTIME_UNKNOWN', message: expect.stringMatching(/pass --runtime java\|static\|node/) });
  });
});

describe('static', () => {
  const site: TarFixture[] = [
    { name: 'dist/', type: '5' },
    { name: 'dist/index.html', content: '<h1>hi</h1>' },
    { name: 'dist/assets/app.js', content: 'console.log(1)' },
    { name: 'dist/home.html', type: '2', linkname: 'index.html' },
  ];

  it('strips a single top-level directory and serves from the web root; base command kept', async () => {
    const base = fakeBase('oci', { Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'], ExposedPorts: { '80/tcp': {} } });
    const image = await build({ artifactPath: artifact('site.tgz', tarGzBytes(site)), base });
    expect(image.runtime).toBe('static');
    const out = extract(image, 0);
    expect(readFileSync(join(out, 'usr/share/nginx/html/index.html'), 'utf8')).toBe('<h1>hi</h1>');
    expect(readFileSync(join(out, 'usr/share/nginx/html/home.html'), 'utf8')).toBe('<h1>hi</h1>');
    const c = configOf(image).config;
    expect(c.Entrypoint).toEqual(['/docker-entrypoint.sh']);
    expect(c.Cmd).toEqual(['nginx', '-g', 'daemon off;']);
    expect(c.ExposedPorts).toEqual({ '80/tcp': {} });
    expect(c.WorkingDir).toBeUndefined();
  });

  it('honours io.slipway.web-root, reads zips, and gives tar and tar.gz the same layer', async () => {
    const base = fakeBase('oci', { Labels: { 'io.slipway.web-root': '/srv/www/' } });
    const image = await build({ artifactPath: artifact('site.zip', zipBytes([{ name: 'index.html', content: 'z' }])), base });
    expect(readFileSync(join(extract(image, 0), 'srv/www/index.html'), 'utf8')).toBe('z');
    const fromTar = await build({ artifactPath: artifact('s.tar', tarBytes(site)) });
    const fromGz = await build({ artifactPath: artifact('s.tar.gz', tarGzBytes(site)) });
    expect(fromTar.newLayers[0]?.digest).toBe(fromGz.newLayers[0]?.digest);
    const bad = fakeBase('oci', { Labels: { 'io.slipway.web-root': 'relative/dir' } });
    expect(await refusal(build({ artifactPath: artifact('s2.tar', tarBytes(site)), base: bad }))).toMatchObject({ code: 'SLW_BASE_IMAGE_UNAVAILABLE' });
  });

  it('says which runtimes exist when it cannot tell', async () => {
    const e = await refusal(build({ artifactPath: artifact('x.tar', tarBytes([{ name: 'a.txt', content: 'x' }])) }));
    expect(e).toMatchObject({ code: 'SLW_RUNTIME_UNKNOWN', message: expect.stringMatching(/pass --runtime java\|static\|node/) });
    expect(await refusal(build({ artifactPath: artifact('y.tar', tarBytes([{ name: 'a.txt', content: 'x' }])), runtime: 'static' }))).toMatchObject({ code: 'SLW_ARTIFACT_INVALID', message: expect.stringMatching(/index\.html/) });
  });
});

describe('node', () => {
  const app = (code: string, withModules = true): TarFixture[] => [
    { name: 'package.json', content: JSON.stringify({ name: 'shop', scripts: { start: 'NODE_ENV=production node index.js' } }) },
    { name: 'package-lock.json', content: '{}' },
    { name: 'index.js', content: code },
    ...(withModules
      ? [
          { name: 'node_modules/left-pad/index.js', content: 'module.exports = 1' },
          { name: 'node_modules/left-pad/cli.js', content: '#!/usr/bin/env node', mode: 0o755 },
          { name: 'node_modules/.bin/left-pad', type: '2', linkname: '../left-pad/cli.js' },
        ]
      : []),
  ];

  it('splits dependencies from code, so a code-only change reuses the deps layer', async () => {
    const v1 = await build({ artifactPath: artifact('n1.tar', tarBytes(app('console.log(1)'))) });
    const v2 = await build({ artifactPath: artifact('n2.tar', tarBytes(app('console.log(2)'))) });
    expect(v1.runtime).toBe('node');
    expect(v1.newLayers).toHaveLength(2);
    expect(v2.newLayers[0]?.digest).toBe(v1.newLayers[0]?.digest);
    expect(v2.newLayers[1]?.digest).not.toBe(v1.newLayers[1]?.digest);
    const deps = execFileSync('tar', ['-tzf', v1.newLayers[0]?.file ?? ''], { encoding: 'utf8' }).trim().split('\n');
    expect(deps).toEqual(['app/', 'app/node_modules/', 'app/node_modules/.bin/', 'app/node_modules/.bin/left-pad', 'app/node_modules/left-pad/', 'app/node_modules/left-pad/cli.js', 'app/node_modules/left-pad/index.js', 'app/package-lock.json', 'app/package.json']);
    const code = execFileSync('tar', ['-tzf', v1.newLayers[1]?.file ?? ''], { encoding: 'utf8' }).trim().split('\n');
    expect(code).toEqual(['app/', 'app/index.js']);
    const c = configOf(v1).config;
    expect(c.Entrypoint).toEqual(['/bin/sh', '-c', 'NODE_ENV=production exec node index.js']);
    expect(c.Env).toEqual(['PATH=/app/node_modules/.bin:/usr/local/bin:/usr/bin:/bin', 'PORT=8080']);
    expect(c.WorkingDir).toBe('/app');
    expect(c.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(c.Cmd).toBeUndefined();
  });

  it('makes one layer without node_modules, and falls back to node server.js', async () => {
    const files: TarFixture[] = [
      { name: 'app/package.json', content: '{"name":"x"}' },
      { name: 'app/server.js', content: 'x' },
    ];
    const image = await build({ artifactPath: artifact('n3.tgz', tarGzBytes(files)) });
    expect(image.newLayers).toHaveLength(1);
    expect(configOf(image).config.Entrypoint).toEqual(['/bin/sh', '-c', 'exec node server.js']);
    const none = await refusal(build({ artifactPath: artifact('n4.tar', tarBytes([{ name: 'package.json', content: '{}' }])) }));
    expect(none).toMatchObject({ code: 'SLW_ARTIFACT_INVALID', message: expect.stringMatching(/no scripts\.start/) });
    const broken = await refusal(build({ artifactPath: artifact('n5.tar', tarBytes([{ name: 'package.json', content: '{nope' }])) }));
    expect(broken).toMatchObject({ code: 'SLW_ARTIFACT_INVALID', message: expect.stringMatching(/package\.json is not valid JSON/) });
  });

  it('builds on an empty base', async () => {
    const image = await build({ artifactPath: artifact('n6.tar', tarBytes(app('1', false))), base: scratchBase() });
    const m = manifestOf(image);
    expect(m.layers).toHaveLength(1);
    expect(m.annotations).toBeUndefined();
    expect(configOf(image).config.Labels['org.opencontainers.image.base.name']).toBeUndefined();
  });
});
