import { describe, expect, it } from 'vitest';
import { SlipwayError } from './errors.js';
import { applyVolumeChange, assertVolumeName, assertVolumePath, dockerVolumeName, isSpread, jobVolumes, maxVolumes, parseJobVolume, parseStoredVolumes, parseVolumeFlag, volumeLabels } from './volumes.js';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (error) {
    return error instanceof SlipwayError ? error.code : 'not a SlipwayError';
  }
};

describe('volume names', () => {
  it('takes short lowercase names', () => {
    for (const n of ['data', 'a', 'up-loads', '0', 'x'.repeat(32)]) expect(assertVolumeName(n)).toBe(n);
  });
  it('refuses anything else with SLW_INVALID_VOLUME', () => {
    for (const n of ['', 'Data', '-data', 'data-', 'x'.repeat(33), 'da ta', 'da_ta', 'da.ta', '../x', 'a/b', 'a:b', 'é']) expect(code(() => assertVolumeName(n)), n).toBe('SLW_INVALID_VOLUME');
  });
});

describe('volume paths', () => {
  it('takes absolute directories, without a trailing slash', () => {
    expect(assertVolumePath('/data')).toBe('/data');
    expect(assertVolumePath('/var/lib/app/')).toBe('/var/lib/app');
    expect(assertVolumePath('/etc/app')).toBe('/etc/app');
    expect(assertVolumePath('/usr/local/app/data')).toBe('/usr/local/app/data');
    expect(assertVolumePath('/srv/site-1.example_x@2')).toBe('/srv/site-1.example_x@2');
  });
  it('refuses /, relative paths, .., :, spaces and system paths', () => {
    const refused = ['/', '//', 'data', './data', '/data/../etc', '/a/./b', '/a//b', '/data:ro', '/da ta', '/x\n', '/proc', '/proc/1', '/sys/fs', '/dev', '/dev/shm', '/etc', '/usr', '/bin', '/var', '/run', '/usr/local', `/${'a'.repeat(300)}`, '/a"b', '/a,b', 'C:\\data'];
    for (const p of refused) expect(code(() => assertVolumePath(p)), p).toBe('SLW_INVALID_VOLUME');
  });
});

describe('--volume NAME:/PATH', () => {
  it('parses a name and a path', () => {
    expect(parseVolumeFlag('data:/var/lib/app')).toEqual({ name: 'data', path: '/var/lib/app' });
  });
  it('refuses a missing colon, a bad name or path', () => {
    for (const t of ['data', ':/data', 'Data:/data', 'data:', 'data:relative', 'data:/data:ro']) expect(code(() => parseVolumeFlag(t)), t).toBe('SLW_INVALID_VOLUME');
  });
});

describe('a change of volumes', () => {
  const current = [{ name: 'data', path: '/data' }];
  it('adds, moves and removes by name, sorted', () => {
    expect(applyVolumeChange(current, { uploads: '/srv/uploads', cache: '/cache' })).toEqual([
      { name: 'cache', path: '/cache' },
      { name: 'data', path: '/data' },
      { name: 'uploads', path: '/srv/uploads' },
    ]);
    expect(applyVolumeChange(current, { data: '/var/lib/app/' })).toEqual([{ name: 'data', path: '/var/lib/app' }]);
    expect(applyVolumeChange(current, { data: null })).toEqual([]);
    expect(applyVolumeChange(current, { missing: null })).toEqual(current);
    expect(applyVolumeChange(current, null)).toEqual([]);
  });
  it('refuses two volumes on one path, too many, and bad entries', () => {
    expect(code(() => applyVolumeChange(current, { other: '/data/' }))).toBe('SLW_INVALID_VOLUME');
    const many = Object.fromEntries(Array.from({ length: maxVolumes }, (_, i) => [`v${i}`, `/v${i}`]));
    expect(applyVolumeChange([], many)).toHaveLength(maxVolumes);
    expect(code(() => applyVolumeChange(current, many))).toBe('SLW_INVALID_VOLUME');
    expect(code(() => applyVolumeChange(current, { 'BAD NAME': '/x' }))).toBe('SLW_INVALID_VOLUME');
    expect(code(() => applyVolumeChange(current, { 'BAD NAME': null }))).toBe('SLW_INVALID_VOLUME');
  });
  it('keeps the generation of a volume mounted elsewhere (same data), and a release stores it', () => {
    const restored = [{ name: 'data', path: '/data', generation: 3 }];
    expect(applyVolumeChange(restored, { data: '/srv/data' })).toEqual([{ name: 'data', path: '/srv/data', generation: 3 }]);
    expect(applyVolumeChange(restored, { data: null, logs: '/logs' })).toEqual([{ name: 'logs', path: '/logs' }]);
    expect(parseStoredVolumes(JSON.stringify(restored))).toEqual(restored);
    expect(parseStoredVolumes('[{"name":"data","path":"/data","generation":"x"}]')).toEqual([{ name: 'data', path: '/data' }]);
  });
});

describe('Docker names and labels', () => {
  it('derives the Docker volume from the environment id, never from other user text', () => {
    expect(dockerVolumeName('env_0190a_FF', 'data')).toBe('slw-env_0190a_ff-data');
    expect(dockerVolumeName('env_1', 'data', 0)).toBe('slw-env_1-data');
    expect(dockerVolumeName('env_1', 'data', 2)).toBe('slw-env_1-data.g2');
    // No generation of one volume is another volume's first: '.' is in no name.
    expect(dockerVolumeName('env_1', 'data', 2)).not.toBe(dockerVolumeName('env_1', 'data-g2'));
    expect(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(dockerVolumeName('env_0190abcdef12_0123456789abcdef', 'x'.repeat(32)))).toBe(true);
    expect(volumeLabels({ workspace: 'acme', project: 'shop', environment: 'prod', environmentId: 'env_1' }, 'data')).toMatchObject({ 'io.slipway.managed': 'true', 'io.slipway.environment-id': 'env_1', 'io.slipway.volume': 'data' });
  });
  it('tells spread placements from single targets', () => {
    expect(isSpread('local')).toBe(false);
    expect(isSpread('edge-1')).toBe(false);
    expect(isSpread('a,b')).toBe(true);
    expect(isSpread('label:zone=eu')).toBe(true);
  });
  it('reads a release’s stored volumes, older releases holding none', () => {
    expect(parseStoredVolumes('[]')).toEqual([]);
    expect(parseStoredVolumes(undefined)).toEqual([]);
    expect(parseStoredVolumes('[{"name":"data","path":"/data"}]')).toEqual([{ name: 'data', path: '/data' }]);
  });
});

describe("a job's volumes", () => {
  const declared = [
    { name: 'data', path: '/var/lib/app' },
    { name: 'uploads', path: '/srv/uploads' },
  ];
  const prod = { where: 'shop/prod', flags: '-p shop -e prod' };
  it('mounts the names it lists at the paths declared, in its order; none: nothing', () => {
    expect(jobVolumes({ name: 'migrate', volumes: ['uploads', 'data'] }, declared, prod)).toEqual([
      { ...declared[1], readOnly: false },
      { ...declared[0], readOnly: false },
    ]);
    expect(jobVolumes({ name: 'migrate' }, declared, prod)).toEqual([]);
  });
  it('mounts NAME:ro read-only; any other suffix is refused saying what is meant', () => {
    expect(jobVolumes({ name: 'report', volumes: ['data:ro', 'uploads'] }, declared, prod)).toEqual([
      { name: 'data', path: '/var/lib/app', readOnly: true },
      { name: 'uploads', path: '/srv/uploads', readOnly: false },
    ]);
    expect(parseJobVolume('data:ro')).toEqual({ name: 'data', readOnly: true });
    for (const entry of ['data:rw', 'data:/var/lib/app', ':ro', 'Data']) {
      expect(code(() => parseJobVolume(entry)), entry).toBe('SLW_INVALID_VOLUME');
    }
    expect(() => parseJobVolume('data:rw')).toThrow(`a job's volume "data:rw" must be NAME or NAME:ro, NAME one of the environment's volumes (1–32 lowercase letters, digits and '-'); its path comes from the environment (slipway env set --volume NAME:/PATH)`);
    // Not declared: the message names the volume, not the suffix.
    expect(() => jobVolumes({ name: 'm', volumes: ['cache:ro'] }, declared, prod)).toThrow(/^volume 'cache' is not declared by shop\/prod/);
  });
  it('refuses a name not declared, naming the volumes there are and how to declare one', () => {
    const refused = () => jobVolumes({ name: 'migrate', volumes: ['data', 'cache'] }, declared, prod);
    expect(code(refused)).toBe('SLW_INVALID_VOLUME');
    expect(refused).toThrow("volume 'cache' is not declared by shop/prod (its volumes: data at /var/lib/app, uploads at /srv/uploads); declare it with 'slipway env set --volume cache:/PATH -p shop -e prod', or remove it from the volumes of job 'migrate' in slipway.yaml");
    expect(() => jobVolumes({ name: 'm', volumes: ['data'] }, [], { where: 'shop/qa', flags: '-p shop -e qa' })).toThrow(/is not declared by shop\/qa \(it has none\)/);
    // A release step mounts what its release recorded: declaring the volume takes a new deploy.
    expect(() => jobVolumes({ name: 'm', volumes: ['cache'] }, declared, { ...prod, release: 4 })).toThrow(/is not mounted by release 4 of shop\/prod \(its volumes: .*\); declare it with 'slipway env set --volume cache:\/PATH -p shop -e prod' and deploy again, or remove/);
  });
});
