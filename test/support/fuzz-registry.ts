/**
 * Generated requests for the registry under `/v2/`: the base, the token endpoint, manifests,
 * blobs, upload sessions, tag lists, referrers and the catalog, with repositories, references,
 * digests, ranges, query values and bodies that exist or are hostile.
 */
import { encodeSegment, hostileNumberStrings, hostileString, junkValue, type Rng } from './fuzz-random.js';
import type { FuzzRequest } from './fuzz-api.js';

/** What exists in the registry of the seeded world. */
export interface RegistryWorld {
  /** A repository the world pushed to, and one of another workspace. */
  repository: string;
  foreignRepository: string;
  tag: string;
  manifestDigest: string;
  blobDigest: string;
  /** An upload session the world opened (its id, after `/blobs/uploads/`). */
  upload: string;
  /** Authorization header values by label; null sends none. */
  auth: Record<string, string | null>;
}

const hostileRepos = ['acme/../bravo/site', 'ACME/web', 'acme/web\u0000', 'acme', '', 'acme/web/extra', 'acme//web', `acme/${'a'.repeat(300)}`, '../acme/web', 'acme/web%2f..', '_catalog'];
const hostileRanges = ['bytes=0-', 'bytes=-1', 'bytes=5-1', 'bytes=0-9007199254740993', '0-', '-', '0--1', '1-0', 'bytes=a-b', '0-99999999999999999999', '0-1,2-3', 'x'];

const enc = encodeSegment;

/** A repository path for the request: the world's own, a foreign one, or a hostile one. */
function repo(world: RegistryWorld, r: Rng): string {
  const pick = r.int(10);
  if (pick < 5) return world.repository;
  if (pick < 6) return world.foreignRepository;
  return r.chance(0.5) ? r.pick(hostileRepos) : `acme/${hostileString(r)}`;
}

/** A path of a repository: slashes kept (they separate the name's parts), the rest encoded. */
const repoPath = (name: string) => name.split('/').map(enc).join('/');

function digest(world: RegistryWorld, r: Rng): string {
  return r.pick([world.blobDigest, world.manifestDigest, hostileString(r), `sha256:${'0'.repeat(64)}`, `sha256:${hostileString(r)}`, 'sha256', `md5:${'a'.repeat(32)}`]);
}

function reference(world: RegistryWorld, r: Rng): string {
  return r.pick([world.tag, world.manifestDigest, 'latest', hostileString(r), hostileString(r), 'a'.repeat(129), '-tag', '.tag']);
}

function body(r: Rng, world: RegistryWorld): Uint8Array | string | undefined {
  switch (r.int(7)) {
    case 0:
      return undefined;
    case 1:
      return JSON.stringify(junkValue(r));
    case 2:
      return JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest(world, r), size: junkValue(r) }, layers: [{ digest: digest(world, r), size: -1 }] });
    case 3:
      return JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: hostileString(r), digest: digest(world, r), size: 2 ** 53 }], subject: { digest: hostileString(r) } });
    case 4:
      return '{"schemaVersion":';
    default:
      return Uint8Array.from({ length: r.pick([1, 100, 5_000]) }, () => r.int(256));
  }
}

const mediaTypes = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.v2+json', 'application/octet-stream', 'text/plain', 'application/json', ''];

/** `runs` registry requests, labelled. */
export function registryRequests(world: RegistryWorld, r: Rng, runs: number): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  const authNames = Object.keys(world.auth);
  for (let i = 0; i < runs; i++) {
    const authName = r.pick(authNames);
    const headers: Record<string, string> = {};
    const auth = world.auth[authName];
    if (auth) headers.authorization = auth;
    const name = repo(world, r);
    const base = `/v2/${repoPath(name)}`;
    const kind = r.int(12);
    let method = 'GET';
    let path = '/v2/';
    let payload: Uint8Array | string | undefined;
    switch (kind) {
      case 0: {
        method = r.pick(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']);
        path = r.pick(['/v2/', '/v2', '/v2/_catalog', `/v2/_catalog?n=${enc(r.pick(hostileNumberStrings))}&last=${enc(hostileString(r))}`]);
        break;
      }
      case 1: {
        method = r.pick(['GET', 'POST']);
        const q = new URLSearchParams({ service: r.chance(0.7) ? 'slipway' : hostileString(r) });
        for (let n = r.int(4); n > 0; n--) q.append('scope', r.pick([`repository:${name}:pull,push`, `repository:${name}:${hostileString(r)}`, hostileString(r), `registry:catalog:*`, `repository:${world.repository}:*`]));
        if (r.chance(0.3)) q.append('account', hostileString(r));
        path = `/v2/token?${q.toString()}`;
        if (method === 'POST') {
          payload = r.chance(0.5) ? `grant_type=password&username=x&password=${enc(hostileString(r))}&scope=${enc(hostileString(r))}` : JSON.stringify(junkValue(r));
          headers['content-type'] = 'application/x-www-form-urlencoded';
        }
        break;
      }
      case 2:
      case 3: {
        method = r.pick(['GET', 'HEAD', 'PUT', 'PUT', 'DELETE', 'PATCH']);
        path = `${base}/manifests/${enc(reference(world, r))}`;
        headers.accept = r.pick(mediaTypes);
        if (method === 'PUT' || method === 'PATCH') {
          payload = body(r, world);
          headers['content-type'] = r.pick(mediaTypes);
        }
        break;
      }
      case 4: {
        method = r.pick(['GET', 'HEAD', 'DELETE', 'PUT']);
        path = `${base}/blobs/${enc(digest(world, r))}`;
        if (r.chance(0.5)) headers.range = r.pick(hostileRanges);
        break;
      }
      case 5:
      case 6: {
        method = 'POST';
        const q = new URLSearchParams();
        if (r.chance(0.5)) q.set('digest', digest(world, r));
        if (r.chance(0.3)) {
          q.set('mount', digest(world, r));
          q.set('from', r.pick([world.repository, world.foreignRepository, hostileString(r)]));
        }
        path = `${base}/blobs/uploads/${q.size > 0 ? `?${q.toString()}` : ''}`;
        payload = body(r, world);
        headers['content-type'] = r.pick(['application/octet-stream', 'application/json', '']);
        break;
      }
      case 7:
      case 8: {
        method = r.pick(['GET', 'PATCH', 'PUT', 'DELETE']);
        const id = r.chance(0.5) ? world.upload : hostileString(r);
        const q = method === 'PUT' && r.chance(0.7) ? `?digest=${enc(digest(world, r))}` : '';
        path = `${r.chance(0.8) ? `/v2/${repoPath(world.repository)}` : base}/blobs/uploads/${enc(id)}${q}`;
        if (method === 'PATCH' || method === 'PUT') {
          payload = body(r, world);
          if (r.chance(0.6)) headers['content-range'] = r.pick(hostileRanges);
          headers['content-type'] = 'application/octet-stream';
        }
        break;
      }
      case 9:
      case 10: {
        method = r.pick(['GET', 'HEAD', 'DELETE']);
        const q = new URLSearchParams();
        if (r.chance(0.7)) q.set('n', r.chance(0.7) ? r.pick(hostileNumberStrings) : hostileString(r));
        if (r.chance(0.7)) q.set('last', hostileString(r));
        path = `${base}/tags/list${q.size > 0 ? `?${q.toString()}` : ''}`;
        break;
      }
      default: {
        const q = r.chance(0.5) ? `?artifactType=${enc(hostileString(r))}` : '';
        method = r.pick(['GET', 'HEAD', 'DELETE']);
        path = `${base}/referrers/${enc(digest(world, r))}${q}`;
      }
    }
    out.push({ label: `#${i} ${method} ${path.slice(0, 160)} as ${authName}`, method, path, headers, ...(payload !== undefined ? { body: payload } : {}) });
  }
  return out;
}
