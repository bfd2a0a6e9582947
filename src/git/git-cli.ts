/**
 * Running the `git` binary against a tenant's repository, safely. The URL is attacker-controlled,
 * so every run:
 *
 * - reads no system or user config (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL=/dev/null, HOME in the
 *   scratch dir), never prompts (GIT_TERMINAL_PROMPT=0, no askpass, no credential helper);
 * - allows only the URL's own transport (`protocol.allow=never`, then `https` or `http`), follows
 *   no redirect, runs no hook, and pins the host to the address that was checked
 *   (`http.curloptResolve`), so a second DNS answer cannot point it at an internal address;
 * - gets the credential as an `http.extraHeader` through GIT_CONFIG_COUNT/KEY/VALUE in its
 *   environment: never in argv (visible in `ps`), the URL, or a log line;
 * - is killed after a deadline.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SlipwayError } from '../core/errors.js';
import { gitAuthorization, type GitUrl } from '../core/git.js';
import { AllowList } from '../registry/client/egress.js';

/** Which git hosts the server may fetch from: no internal address unless `--allow-git-host` allows it. */
export class GitHostPolicy {
  readonly #allow: AllowList;

  constructor(allow: readonly string[] = []) {
    this.#allow = new AllowList(allow, '--allow-git-host');
  }

  /** The address to connect to for `url`'s host, after checking every address it resolves to. */
  async resolve(url: GitUrl): Promise<string> {
    let addresses: string[];
    if (isIP(url.host) !== 0) addresses = [url.host];
    else {
      try {
        addresses = (await lookup(url.host, { all: true, verbatim: true })).map((a) => a.address);
      } catch {
        throw new SlipwayError('SLW_GIT_UNREACHABLE', `git host ${url.host} does not resolve; check the URL`);
      }
    }
    for (const address of addresses) {
      const kind = this.#allow.refusal(url.host, address);
      if (kind === 'unknown') throw new SlipwayError('SLW_GIT_UNREACHABLE', `git host ${url.host} resolves to no usable address`);
      if (kind) {
        const what = address === url.host ? `is a ${kind} address` : `resolves to a ${kind} address (${address})`;
        throw new SlipwayError('SLW_GIT_HOST_REFUSED', `git host ${url.host} ${what}, which this server does not fetch from; use a repository on a public address, or ask the instance admin to allow it (slipway server --allow-git-host ${url.host})`);
      }
    }
    const first = addresses[0];
    if (first === undefined) throw new SlipwayError('SLW_GIT_UNREACHABLE', `git host ${url.host} resolves to no address`);
    return first;
  }
}

export interface GitRemote {
  url: GitUrl;
  /** The checked address the host is pinned to. */
  address: string;
  /** The credential (token or user:token), or null. */
  credential: string | null;
}

export interface GitRun {
  stdout: Buffer;
  stderr: string;
}

const deadlineMs = 10 * 60_000;

/** The `-c` options and environment for a run against `remote` (none for a local-only command). */
function isolation(home: string, remote: GitRemote | null): { args: string[]; env: NodeJS.ProcessEnv } {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    // Abort a transfer slower than 1 KiB/s for 60 s (a stalled server), besides the deadline.
    GIT_HTTP_LOW_SPEED_LIMIT: '1024',
    GIT_HTTP_LOW_SPEED_TIME: '60',
  };
  const args = ['-c', 'protocol.allow=never', '-c', 'core.hooksPath=/dev/null', '-c', 'credential.helper=', '-c', 'http.followRedirects=false', '-c', 'core.fsmonitor=false'];
  if (remote) {
    const host = remote.url.host.includes(':') ? `[${remote.url.host}]` : remote.url.host;
    const address = remote.address.includes(':') ? `[${remote.address}]` : remote.address;
    args.push('-c', `protocol.${remote.url.scheme}.allow=always`, '-c', `http.curloptResolve=${host}:${remote.url.port}:${address}`);
    if (remote.credential !== null) {
      env.GIT_CONFIG_COUNT = '1';
      env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
      env.GIT_CONFIG_VALUE_0 = `Authorization: ${gitAuthorization(remote.credential)}`;
    }
  }
  return { args, env };
}

/**
 * Runs `git <args>` in `cwd` (HOME is `home`, a scratch directory); `remote` when it talks to the
 * repository. Fails with SLW_GIT_* from what git printed, with any credential scrubbed.
 */
export function runGit(cwd: string, home: string, args: string[], remote: GitRemote | null, options: { stdoutFile?: NodeJS.WritableStream } = {}): Promise<GitRun> {
  const { args: pre, env } = isolation(home, remote);
  return new Promise<GitRun>((resolve, reject) => {
    const child = spawn('git', [...pre, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    if (options.stdoutFile) child.stdout.pipe(options.stdoutFile);
    else child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => {
      if (err.length < 64 * 1024) err += c.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new SlipwayError('SLW_INTERNAL', `cannot run git: ${error.message}; install git on the server`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = scrub(err, remote);
      if (code === 0) return resolve({ stdout: Buffer.concat(out), stderr });
      if (signal === 'SIGKILL') return reject(new SlipwayError('SLW_GIT_UNREACHABLE', `git ${args[0]} took longer than ${deadlineMs / 60_000} minutes and was stopped`));
      reject(classify(stderr, remote));
    });
  });
}

/** Removes the credential (and its basic-auth form) from text git printed. */
export function scrub(text: string, remote: GitRemote | null): string {
  if (!remote?.credential) return text;
  let out = text;
  for (const secret of [remote.credential, gitAuthorization(remote.credential).replace(/^Basic /, '')]) out = out.split(secret).join('***');
  return out;
}

/** The SLW_* error for a failed git run, from its stderr (last lines, credential scrubbed). */
export function classify(stderr: string, remote: GitRemote | null): SlipwayError {
  const tail = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('hint:'))
    .slice(-3)
    .join(' / ')
    .slice(0, 500);
  const where = remote ? remote.url.url : 'the repository';
  if (/Authentication failed|could not read Username|could not read Password|HTTP 401|HTTP 403|returned error: 40[13]/i.test(stderr)) {
    return new SlipwayError('SLW_GIT_AUTH_FAILED', `${where} refused the credential${remote?.credential ? '' : ' (none is set: link with --credential)'}; check the token has read access (${tail})`);
  }
  if (/couldn't find remote ref|not our ref|unadvertised object|no such remote ref|invalid refspec/i.test(stderr)) {
    return new SlipwayError('SLW_GIT_REF_NOT_FOUND', `${where} has no such branch, tag or commit (${tail})`);
  }
  if (/repository .* not found|HTTP 404|returned error: 404/i.test(stderr)) {
    return new SlipwayError('SLW_GIT_UNREACHABLE', `${where} is not a git repository the server can read (404); check the URL (${tail})`);
  }
  return new SlipwayError('SLW_GIT_UNREACHABLE', `git could not read ${where}: ${tail || 'no output'}`);
}
