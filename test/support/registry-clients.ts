/**
 * Helpers for the registry end-to-end tests in `test/registry/`: the real clients (docker,
 * skopeo, podman, buildah) run with argument arrays through execFile, with timeouts, their
 * output returned; a docker client with its own config dir and `login --password-stdin`;
 * podman/buildah with their own storage (vfs, temp `--root`/`--runroot`), so tests never share
 * containers storage; unique image names; tracking of local docker images for removal in
 * afterAll; small test root filesystems (busybox and a text file); and a raw HTTP client for
 * `/v2/` with the spec's error-body check and the token endpoint.
 *
 * API tokens given to {@link hideSecret} are replaced by `<token>` in every error message made
 * here, because a failed command's message names its arguments (`--creds x:TOKEN`).
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { apiClient, ok } from './api.js';

const secrets = new Set<string>();

/** Registers a secret (an API token, a registry JWT) to be masked in messages made here. */
export function hideSecret(secret: string): string {
  if (secret.length >= 8) secrets.add(secret);
  return secret;
}

/** `text` with every registered secret (and its Basic-auth form) replaced by `<token>`. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    out = out.split(s).join('<token>');
    for (const user of ['x', 'ci', 'slipway']) out = out.split(Buffer.from(`${user}:${s}`).toString('base64')).join('<token>');
  }
  return out;
}

/** How a tool ran: exit code (null when killed), stdout as bytes and text, stderr. */
export interface ToolResult {
  code: number | null;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

/** Options of {@link attempt} and {@link run}. */
export interface RunOptions {
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Default 120 s; the process is SIGKILLed then. */
  timeoutMs?: number;
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
}

/** Runs `cmd args` to its end, never throwing for a non-zero exit (a refusal a test expects). */
export function attempt(cmd: string, args: string[], o: RunOptions = {}): Promise<ToolResult> {
  return new Promise((done, fail) => {
    const child = execFile(
      cmd,
      args,
      { encoding: 'buffer', timeout: o.timeoutMs ?? 120_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, cwd: o.cwd, env: o.env ? { ...process.env, ...o.env } : process.env },
      (error, stdout, stderr) => {
        const err = error as (Error & { code?: number | string; killed?: boolean; signal?: string | null }) | null;
        if (err && typeof err.code === 'string') return fail(new Error(redact(`${cmd} could not start: ${err.message}`)));
        if (err?.killed || err?.signal === 'SIGKILL') return fail(new Error(redact(`${cmd} ${args.join(' ')} did not finish in ${o.timeoutMs ?? 120_000} ms; stderr: ${stderr.toString('utf8')}`)));
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: stdout.toString('utf8'), stdoutBytes: stdout, stderr: stderr.toString('utf8') });
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(o.input ?? '');
  });
}

/** Runs `cmd args` and returns stdout; a non-zero exit throws with stderr (secrets masked). */
export async function run(cmd: string, args: string[], o: RunOptions = {}): Promise<string> {
  return (await runBytes(cmd, args, o)).stdout;
}

/** Like {@link run}, with stdout also as the exact bytes written. */
export async function runBytes(cmd: string, args: string[], o: RunOptions = {}): Promise<ToolResult> {
  const r = await attempt(cmd, args, o);
  if (r.code !== 0) throw new Error(redact(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`));
  return r;
}

/** `sha256:<hex>` of bytes or text. */
export const sha256 = (data: Uint8Array | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

let counter = 0;

/** A name no other test (or other run on this machine) uses: `<prefix>-<pid>-<n>-<random>`. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${randomBytes(3).toString('hex')}`.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// docker

const dockerImages = new Set<string>();

/** A docker client whose config (and so its logins) lives in its own dir, never ~/.docker. */
export interface DockerClient {
  readonly configDir: string;
  /** `docker --config DIR args`; throws on a non-zero exit. */
  run(args: string[], o?: RunOptions): Promise<string>;
  /** The same, returning the result of a refused command instead of throwing. */
  attempt(args: string[], o?: RunOptions): Promise<ToolResult>;
  /** `docker login HOST -u x --password-stdin` with `token` on stdin. */
  login(host: string, token: string): Promise<void>;
}

export function dockerClient(configDir: string): DockerClient {
  mkdirSync(configDir, { recursive: true });
  const base = (args: string[]) => ['--config', configDir, ...args];
  const withTimeout = (o: RunOptions = {}): RunOptions => ({ timeoutMs: 180_000, ...o });
  return {
    configDir,
    run: (args, o) => run('docker', base(args), withTimeout(o)),
    attempt: (args, o) => attempt('docker', base(args), withTimeout(o)),
    login: async (host, token) => {
      hideSecret(token);
      await run('docker', base(['login', host, '-u', 'x', '--password-stdin']), { input: token, timeoutMs: 60_000 });
    },
  };
}

/** Remembers a local docker image reference for {@link removeDockerImages}; returns it. */
export function trackDockerImage(ref: string): string {
  dockerImages.add(ref);
  return ref;
}

/** Removes every tracked local docker image (for afterAll); failures are ignored. */
export async function removeDockerImages(): Promise<void> {
  const refs = [...dockerImages];
  dockerImages.clear();
  for (const ref of refs) await attempt('docker', ['rmi', '-f', ref], { timeoutMs: 60_000 }).catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------
// podman, buildah, skopeo

/** Containers storage of one test: vfs under a temp dir, shared by podman and buildah. */
export interface ContainersStorage {
  root: string;
  runroot: string;
  /** The global flags selecting this storage. */
  flags: string[];
}

/** Containers storage under `dir` (created). */
export function containersStorage(dir: string): ContainersStorage {
  const root = join(dir, 'root');
  const runroot = join(dir, 'runroot');
  mkdirSync(root, { recursive: true });
  mkdirSync(runroot, { recursive: true });
  return { root, runroot, flags: ['--root', root, '--runroot', runroot, '--storage-driver', 'vfs'] };
}

/** `podman` on `storage`, with its libpod state and events in the same temp dir. */
export function podman(storage: ContainersStorage, args: string[], o: RunOptions = {}): Promise<string> {
  const tmp = join(storage.runroot, 'libpod-tmp');
  mkdirSync(tmp, { recursive: true });
  return run('podman', [...storage.flags, '--tmpdir', tmp, '--events-backend', 'none', '--cgroup-manager', 'cgroupfs', ...args], { timeoutMs: 180_000, ...o });
}

/** `buildah` on `storage`. */
export function buildah(storage: ContainersStorage, args: string[], o: RunOptions = {}): Promise<string> {
  return run('buildah', [...storage.flags, ...args], { timeoutMs: 180_000, ...o });
}

/** `skopeo args`. */
export function skopeo(args: string[], o: RunOptions = {}): Promise<string> {
  return run('skopeo', args, { timeoutMs: 180_000, ...o });
}

/** The manifest digest of `docker://REF` as `skopeo inspect --raw | sha256sum` computes it. */
export async function skopeoRawDigest(ref: string, creds: string): Promise<string> {
  const r = await runBytes('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${ref}`], { timeoutMs: 60_000 });
  return sha256(r.stdoutBytes);
}

// ---------------------------------------------------------------------------------------------
// test images

/**
 * A root filesystem dir under `dir`: a static busybox at /bin/busybox (and /bin/sh) and
 * /marker.txt holding `marker` and a newline.
 */
export function makeRootfs(dir: string, marker: string): string {
  const root = join(dir, `rootfs-${marker}`);
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  symlinkSync('busybox', join(root, 'bin', 'sh'));
  writeFileSync(join(root, 'marker.txt'), `${marker}\n`);
  return root;
}

/** A tar of {@link makeRootfs} (for `docker import`); returns its path. */
export async function makeRootfsTar(dir: string, marker: string): Promise<string> {
  const root = makeRootfs(dir, marker);
  const tar = join(dir, `rootfs-${marker}.tar`);
  await run('tar', ['--sort=name', '--mtime=@1', '--owner=0', '--group=0', '--numeric-owner', '-C', root, '-cf', tar, '.']);
  return tar;
}

// ---------------------------------------------------------------------------------------------
// raw HTTP against /v2/

/** `Basic` credentials with any username and an API token as the password. */
export function basic(token: string): string {
  hideSecret(token);
  return `Basic ${Buffer.from(`x:${token}`).toString('base64')}`;
}

/** One registry answer. */
export interface RegistryResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** One registry request; `auth` is the whole Authorization header value. */
export interface RegistryRequest {
  method?: string;
  path: string;
  auth?: string;
  body?: Uint8Array | string;
  headers?: Record<string, string>;
}

/** Sends a request to `baseUrl` and reads the whole answer. */
export async function registryCall(baseUrl: string, req: RegistryRequest): Promise<RegistryResponse> {
  const headers: Record<string, string> = { ...req.headers };
  if (req.auth) headers.authorization = req.auth;
  const res = await fetch(`${baseUrl}${req.path}`, { method: req.method ?? 'GET', headers, body: req.body, redirect: 'manual' });
  const text = await res.text();
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * The `code` of a registry error answer when its body is exactly the spec's
 * `{"errors":[{"code","message"[,"detail"]}]}` with JSON content type and a non-empty message;
 * otherwise a description of what is wrong (so `expect(registryErrorCode(r)).toBe('…')` shows
 * the answer when it fails).
 */
export function registryErrorCode(res: RegistryResponse): string {
  const describe = () => `not a registry error body (HTTP ${res.status}, ${res.headers.get('content-type') ?? 'no content type'}): ${redact(res.text.slice(0, 300))}`;
  if (!(res.headers.get('content-type') ?? '').includes('application/json')) return describe();
  const doc = res.json as { errors?: unknown } | undefined;
  if (typeof doc !== 'object' || doc === null || Object.keys(doc).join(',') !== 'errors' || !Array.isArray(doc.errors) || doc.errors.length === 0) return describe();
  for (const e of doc.errors as unknown[]) {
    if (typeof e !== 'object' || e === null) return describe();
    const entry = e as Record<string, unknown>;
    const keys = Object.keys(entry);
    if (!keys.includes('code') || !keys.includes('message') || keys.some((k) => !['code', 'message', 'detail'].includes(k))) return describe();
    if (typeof entry.code !== 'string' || typeof entry.message !== 'string' || entry.message.length === 0 || /\n\s+at /.test(entry.message)) return describe();
  }
  return (doc.errors[0] as { code: string }).code;
}

/** A registry grant as the JWT's `access` claim lists it. */
export interface GrantedAccess {
  type: string;
  name: string;
  actions: string[];
}

/** The payload of a compact JWT (not verified: the tests read what the server granted). */
export function jwtPayload(jwt: string): Record<string, unknown> {
  const body = jwt.split('.')[1];
  if (body === undefined) throw new Error('not a compact JWT');
  return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** `GET /v2/token?service=slipway&scope=…` with an API token as Basic credentials. */
export async function requestRegistryToken(baseUrl: string, apiToken: string, scopes: string[]): Promise<{ status: number; token: string; access: GrantedAccess[] }> {
  const q = new URLSearchParams({ service: 'slipway' });
  for (const s of scopes) q.append('scope', s);
  const res = await registryCall(baseUrl, { path: `/v2/token?${q.toString()}`, auth: basic(apiToken) });
  if (res.status !== 200) return { status: res.status, token: '', access: [] };
  const token = hideSecret((res.json as { token: string }).token);
  return { status: res.status, token, access: jwtPayload(token).access as GrantedAccess[] };
}

/**
 * A PATCH of `parts` to `path`, written one part at a time, `gapMs` between parts, with
 * `headers` (no Content-Length unless given: chunked); resolves with the status (0 when the
 * connection broke).
 */
export function patchInParts(baseUrl: string, path: string, auth: string, parts: Uint8Array[], gapMs: number, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((done) => {
    const req = request(new URL(path, baseUrl), { method: 'PATCH', headers: { authorization: auth, 'content-type': 'application/octet-stream', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
      res.on('error', () => done(0));
    });
    req.on('error', () => done(0));
    void (async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
        req.write(part);
      }
      req.end();
    })();
  });
}

/**
 * Two PATCHes racing on one upload session: `slow` is sent in two halves with a pause, and
 * `fast` is sent whole in between, once the first half of `slow` is in `uploadFile` on disk
 * (the server's file for the session). Resolves with both statuses once both finished.
 */
export async function racePatches(baseUrl: string, auth: string, location: string, uploadFile: string, slow: Uint8Array, fast: Uint8Array): Promise<{ slow: number; fast: number }> {
  const half = Math.floor(slow.length / 2);
  const slowDone = patchInParts(baseUrl, location, auth, [slow.subarray(0, half), slow.subarray(half)], 600, { 'content-length': String(slow.length) });
  const until = Date.now() + 5_000;
  while ((existsSync(uploadFile) ? statSync(uploadFile).size : 0) < half && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  const fastStatus = await patchInParts(baseUrl, location, auth, [fast], 0, { 'content-length': String(fast.length) });
  return { fast: fastStatus, slow: await slowDone };
}

/** Random bytes (a blob nobody else holds). */
export const randomBlob = (size = 1024): Uint8Array => new Uint8Array(randomBytes(size));

/** Pushes a blob with a monolithic `POST ?digest=`; returns its digest or throws with the answer. */
export async function pushBlob(baseUrl: string, auth: string, repo: string, data: Uint8Array): Promise<string> {
  const digest = sha256(data);
  const res = await registryCall(baseUrl, { method: 'POST', path: `/v2/${repo}/blobs/uploads/?digest=${digest}`, auth, body: data, headers: { 'content-type': 'application/octet-stream' } });
  if (res.status !== 201) throw new Error(`blob push to ${repo} answered ${res.status}: ${redact(res.text)}`);
  return digest;
}

/** An OCI image manifest naming `config` and `layers` (as bytes). */
export function ociManifest(config: Uint8Array, layers: Uint8Array[]): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })),
    }),
  );
}

/** Media types a pull accepts. */
export const manifestAccept = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

// ---------------------------------------------------------------------------------------------
// workspaces through the API

/** Creates workspace `ws` (tier high) with `projects`, using an instance admin token. */
export async function createWorkspace(baseUrl: string, adminToken: string, ws: string, projects: string[]): Promise<void> {
  const admin = apiClient(baseUrl, adminToken);
  ok(await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
  for (const p of projects) ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: p }));
}

/** Mints a workspace token with `role` (held by the admin, who owns the workspace); returns it. */
export async function createToken(baseUrl: string, adminToken: string, ws: string, role: 'viewer' | 'developer' | 'admin' | 'owner'): Promise<string> {
  const created = ok<{ token: string }>(await apiClient(baseUrl, adminToken).post(`/api/v1/workspaces/${ws}/tokens`, { role, name: `registry test ${role}` }));
  return hideSecret(created.token);
}
