/**
 * A real git server for tests: bare repositories served over smart HTTP by git's own
 * `git http-backend` (CGI) behind a tiny node HTTP server on 127.0.0.1, and a scratch clone to
 * make commits with the `git` CLI and push branches and tags.
 *
 * Auth is real: every request must carry the server's token (HTTP basic with any user name and
 * the token as the password, or `Bearer <token>`) unless `readAuth: false` lets fetches through
 * anonymously; pushes always need it. A push is enabled by setting REMOTE_USER for the CGI after
 * the check (http-backend refuses receive-pack without it). The client's `Git-Protocol` header is
 * passed as GIT_PROTOCOL, so protocol v2 (fetch of any commit by sha) works as on real forges.
 *
 * `onReceive` runs after each push with the refs it changed (before/after sha, 40 zeros for a
 * created or deleted ref), e.g. to fire a webhook like a forge would.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './server-process.js';

const run = promisify(execFile);
export const zeroSha = '0'.repeat(40);

/** The environment for every git command here: no user or system config, never a prompt. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', LANG: 'C', ...extra };
}

/** Runs git with `args` in `cwd`; fails with its stderr. */
export async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    return (await run('git', args, { cwd, env: gitEnv(env), maxBuffer: 64 * 1024 * 1024, timeout: 120_000 })).stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`git ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

export interface RefUpdate {
  /** Full ref name, e.g. refs/heads/main or refs/tags/v1. */
  ref: string;
  before: string;
  after: string;
}

export interface ReceiveEvent {
  /** The repository's name (e.g. `app.git`). */
  repo: string;
  updates: RefUpdate[];
}

export interface GitRequest {
  method: string;
  path: string;
  /** Whether the request carried a valid token. */
  authenticated: boolean;
  /** The raw Authorization header, if any (to check that a credential was really sent). */
  authorization: string | undefined;
  gitProtocol: string | undefined;
  status: number;
}

export interface GitServer {
  /** Base URL, e.g. http://127.0.0.1:PORT (repositories at `${url}/NAME.git`). */
  url: string;
  /** The directory holding the bare repositories (GIT_PROJECT_ROOT). */
  root: string;
  /** The token the server accepts (as a basic-auth password or a bearer token). */
  token: string;
  /** Every request served, in order. */
  requests: GitRequest[];
  /** Creates an empty bare repository `name` (without `.git`); returns its URL. */
  createRepo(name: string): Promise<string>;
  /** Called after every push that changed refs, awaited before the push's answer ends (so `git push` returns after it); a rejected promise is logged, not thrown. */
  onReceive(hook: (event: ReceiveEvent) => void | Promise<void>): void;
  /** A scratch clone of repository `name` that commits and pushes with the server's token. */
  workdir(name: string): Promise<GitWorkdir>;
  close(): Promise<void>;
}

async function refsOf(dir: string): Promise<Map<string, string>> {
  const out = await git(dir, ['for-each-ref', '--format=%(objectname) %(refname)']).catch(() => '');
  const refs = new Map<string, string>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [sha, ref] = line.split(' ');
    if (sha && ref) refs.set(ref, sha);
  }
  return refs;
}

function diffRefs(before: Map<string, string>, after: Map<string, string>): RefUpdate[] {
  const updates: RefUpdate[] = [];
  for (const ref of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(ref) ?? zeroSha;
    const a = after.get(ref) ?? zeroSha;
    if (a !== b) updates.push({ ref, before: b, after: a });
  }
  return updates.sort((x, y) => x.ref.localeCompare(y.ref));
}

/** Starts the server on a free loopback port. `readAuth: false` serves fetches without a token. */
export async function startGitServer(options: { readAuth?: boolean; token?: string } = {}): Promise<GitServer> {
  const root = tempDir('slipway-git-');
  const token = options.token ?? `tok_${randomBytes(12).toString('hex')}`;
  const readAuth = options.readAuth ?? true;
  const hooks: Array<(event: ReceiveEvent) => void | Promise<void>> = [];
  const requests: GitRequest[] = [];

  const authenticated = (header: string | undefined): boolean => {
    if (!header) return false;
    const [scheme, value = ''] = header.split(' ', 2);
    if (scheme?.toLowerCase() === 'bearer') return value === token;
    if (scheme?.toLowerCase() !== 'basic') return false;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1) === token;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://git.test');
    const ok = authenticated(req.headers.authorization);
    const push = url.searchParams.get('service') === 'git-receive-pack' || url.pathname.endsWith('/git-receive-pack');
    const record = (status: number) => requests.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, authenticated: ok, authorization: req.headers.authorization, gitProtocol: req.headers['git-protocol'] as string | undefined, status });
    if (!ok && (push || readAuth)) {
      record(401);
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"', 'content-type': 'text/plain' });
      res.end('authentication required\n');
      req.resume();
      return;
    }
    const repoName = /^\/([^/]+\.git)\//.exec(url.pathname)?.[1];
    const repoDir = repoName ? join(root, repoName) : undefined;
    const receiving = push && req.method === 'POST' && repoDir !== undefined;
    const before = receiving ? await refsOf(repoDir) : undefined;
    const env: NodeJS.ProcessEnv = {
      ...gitEnv(),
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: url.pathname,
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: req.headers['git-protocol'] as string } : {}),
      ...(ok ? { REMOTE_USER: 'tester' } : {}),
    };
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(cgi.stdin);
    cgi.stdin.on('error', () => undefined);
    let head = Buffer.alloc(0);
    let headersSent = false;
    let status = 200;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf('\r\n\r\n');
      const lf = head.indexOf('\n\n');
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
      if (end < 0) return;
      const sep = end === crlf ? 4 : 2;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      headersSent = true;
      const rest = head.subarray(end + sep);
      if (rest.length > 0) res.write(rest);
    });
    let stderr = '';
    cgi.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number>((resolve) => cgi.on('close', (c) => resolve(c ?? 1)));
    if (!headersSent) {
      status = 500;
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.write(`http-backend failed (${code}): ${stderr}`);
    }
    // Hooks run before the push's answer ends, so a test sees their effect once `git push` returns.
    if (receiving && before) {
      const updates = diffRefs(before, await refsOf(repoDir));
      if (updates.length > 0) {
        for (const hook of hooks) {
          try {
            await hook({ repo: repoName as string, updates });
          } catch (error) {
            console.error(`git server receive hook failed: ${(error as Error).message}`);
          }
        }
      }
    }
    res.end();
    record(status);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(error.message);
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const self: GitServer = {
    url,
    root,
    token,
    requests,
    createRepo: async (name) => {
      const dir = join(root, `${name}.git`);
      mkdirSync(dir, { recursive: true });
      await git(dir, ['init', '--bare', '--quiet', '--initial-branch=main']);
      // v0/v1 clients may then fetch any reachable commit by sha too (v2 serves any object anyway).
      await git(dir, ['config', 'uploadpack.allowReachableSHA1InWant', 'true']);
      return `${url}/${name}.git`;
    },
    onReceive: (hook) => {
      hooks.push(hook);
    },
    workdir: async (name) => gitWorkdir(`${url}/${name}.git`, token),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return self;
}

/** A scratch clone that commits with fixed, increasing dates (so commits are reproducible) and pushes with a token. */
export interface GitWorkdir {
  dir: string;
  remote: string;
  /** Writes `files` (null deletes one), commits everything, returns the commit's sha. */
  commit(files: Record<string, string | Buffer | null>, message?: string): Promise<string>;
  /** Switches to `branch` (created from the current commit when new). */
  checkout(branch: string): Promise<void>;
  /** Pushes the current commit to `branch` (default: the checked-out one). */
  push(branch?: string): Promise<void>;
  /** Tags `sha` (default HEAD) lightweight, or annotated with `message`, and pushes the tag. */
  tag(name: string, options?: { sha?: string; message?: string }): Promise<void>;
  /** Deletes `branch` on the server. */
  deleteBranch(branch: string): Promise<void>;
  /** The sha of HEAD. */
  head(): Promise<string>;
  git(args: string[]): Promise<string>;
}

export async function gitWorkdir(remote: string, token: string): Promise<GitWorkdir> {
  const dir = tempDir('slipway-gitwork-');
  // The token goes in a header through the environment (never in a URL or argv).
  const auth = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`tester:${token}`).toString('base64')}` };
  let clock = 1_700_000_000;
  const g = (args: string[], extra: Record<string, string> = {}) => git(dir, args, { ...auth, ...extra });
  await g(['init', '--quiet', '--initial-branch=main']);
  await g(['config', 'user.name', 'Slipway Test']);
  await g(['config', 'user.email', 'test@slipway.invalid']);
  await g(['remote', 'add', 'origin', remote]);
  const current = async () => (await g(['rev-parse', '--abbrev-ref', 'HEAD'])).trim();
  return {
    dir,
    remote,
    commit: async (files, message = 'change') => {
      for (const [path, content] of Object.entries(files)) {
        const file = join(dir, path);
        if (content === null) rmSync(file, { force: true });
        else {
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, content);
        }
      }
      clock += 60;
      const date = `@${clock} +0000`;
      await g(['add', '--all']);
      await g(['commit', '--quiet', '--allow-empty', '-m', message], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
      return (await g(['rev-parse', 'HEAD'])).trim();
    },
    checkout: async (branch) => {
      const exists = await g(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).then(() => true, () => false);
      await g(exists ? ['checkout', '--quiet', branch] : ['checkout', '--quiet', '-b', branch]);
    },
    push: async (branch) => {
      const b = branch ?? (await current());
      await g(['push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${b}`]);
    },
    tag: async (name, options = {}) => {
      clock += 1;
      const date = `@${clock} +0000`;
      const args = options.message ? ['tag', '-a', '-m', options.message, name] : ['tag', name];
      await g([...args, options.sha ?? 'HEAD'], { GIT_COMMITTER_DATE: date });
      await g(['push', '--quiet', 'origin', `refs/tags/${name}`]);
    },
    deleteBranch: async (branch) => {
      await g(['push', '--quiet', 'origin', '--delete', `refs/heads/${branch}`]);
    },
    head: async () => (await g(['rev-parse', 'HEAD'])).trim(),
    git: (args) => g(args),
  };
}
