/**
 * Fetching one commit of a linked repository, cheaply: `git ls-remote` to resolve the ref and
 * find the tags that point at the commit, then `git init` + `git fetch --depth 1 --no-tags
 * origin <sha>` into a scratch directory under the data dir (removed by the caller's area).
 *
 * @module
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { SlipwayError } from '../core/errors.js';
import { isCommitSha, type GitUrl } from '../core/git.js';
import { runGit, type GitHostPolicy, type GitRemote } from './git-cli.js';

export interface FetchedCommit {
  /** The local repository holding the commit (FETCH_HEAD). */
  repo: string;
  home: string;
  sha: string;
  /** The full ref the request resolved to (refs/heads/main, refs/tags/v1), or the sha itself. */
  ref: string;
  /** Committer time, seconds since the epoch. */
  commitTime: number;
  /** Tag names (without refs/tags/) pointing at the commit. */
  tags: string[];
  remote: GitRemote;
}

/** Parses `git ls-remote` output into ref → sha, peeled tags (`^{}`) naming the commit they point at. */
export function parseLsRemote(text: string): Map<string, string> {
  const refs = new Map<string, string>();
  const peeled = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [sha, ref] = line.split('\t');
    if (!sha || !ref || !isCommitSha(sha)) continue;
    if (ref.endsWith('^{}')) peeled.set(ref.slice(0, -3), sha);
    else refs.set(ref, sha);
  }
  for (const [ref, sha] of peeled) refs.set(ref, sha);
  return refs;
}

/** The commit `ref` names among `refs`: a full ref, a branch, a tag, or a sha (taken as is). */
export function resolveRef(refs: Map<string, string>, ref: string): { ref: string; sha: string } | null {
  for (const candidate of ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`]) {
    const sha = refs.get(candidate);
    if (sha) return { ref: candidate, sha };
  }
  if (isCommitSha(ref)) return { ref, sha: ref };
  return null;
}

/** Fetches the commit `ref` (or `sha`, when the caller knows it, e.g. from a webhook) names into `<area>/repo`. */
export async function fetchCommit(area: string, hosts: GitHostPolicy, url: GitUrl, credential: string | null, request: { ref: string; sha?: string | undefined }, log: (line: string) => void): Promise<FetchedCommit> {
  const remote: GitRemote = { url, address: await hosts.resolve(url), credential };
  const home = join(area, 'home');
  const repo = join(area, 'repo');
  await mkdir(home, { recursive: true, mode: 0o700 });
  await mkdir(repo, { recursive: true, mode: 0o700 });
  await runGit(repo, home, ['init', '--quiet', '--template=', '.'], null);
  await runGit(repo, home, ['remote', 'add', 'origin', url.url], null);
  log(`resolving ${request.ref} at ${url.url}`);
  const refs = parseLsRemote((await runGit(repo, home, ['ls-remote', '--quiet', 'origin'], remote)).stdout.toString('utf8'));
  let resolved: { ref: string; sha: string } | null;
  if (request.sha !== undefined) resolved = { ref: request.ref, sha: request.sha };
  else resolved = resolveRef(refs, request.ref);
  if (!resolved) throw new SlipwayError('SLW_GIT_REF_NOT_FOUND', `${url.url} has no branch or tag ${request.ref} (and it is not a 40-hex commit id)`);
  log(`fetching commit ${resolved.sha}`);
  await runGit(repo, home, ['fetch', '--quiet', '--depth', '1', '--no-tags', '--no-write-fetch-head', 'origin', `+${resolved.sha}:refs/slipway/build`], remote);
  const commitTime = Number((await runGit(repo, home, ['show', '-s', '--format=%ct', 'refs/slipway/build'], null)).stdout.toString('utf8').trim());
  const tags = [...refs].filter(([ref, sha]) => ref.startsWith('refs/tags/') && sha === resolved.sha).map(([ref]) => ref.slice('refs/tags/'.length));
  return { repo, home, sha: resolved.sha, ref: resolved.ref, commitTime, tags, remote };
}

/** Whether the fetched tree has a file at `path`. */
export async function hasFile(commit: FetchedCommit, path: string): Promise<boolean> {
  try {
    const out = await runGit(commit.repo, commit.home, ['ls-tree', '--name-only', 'refs/slipway/build', '--', path], null);
    return out.stdout.toString('utf8').split('\n').includes(path);
  } catch {
    return false;
  }
}

/** A small file of the fetched tree (e.g. slipway.yaml), or null when there is none. */
export async function readFile(commit: FetchedCommit, path: string): Promise<string | null> {
  if (!(await hasFile(commit, path))) return null;
  return (await runGit(commit.repo, commit.home, ['cat-file', 'blob', `refs/slipway/build:${path}`], null)).stdout.toString('utf8');
}

/** Writes the commit's tree as a tar (`git archive`: deterministic for one commit) to `file`. */
export async function archiveTree(commit: FetchedCommit, file: string): Promise<void> {
  const out = createWriteStream(file, { mode: 0o600 });
  await runGit(commit.repo, commit.home, ['archive', '--format=tar', 'refs/slipway/build'], null, { stdoutFile: out });
  await finished(out);
}
