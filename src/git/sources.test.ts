import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProjectAccess } from '../projects/projects.js';
import { engines } from '../../test/support/engines.js';
import { project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import type { Keyring } from '../secrets/secrets.js';
import { GitHostPolicy } from './git-cli.js';
import { defaultEnvironment } from './builds.js';
import { findGitSource, linkGitSource, openCredential, requireGitSource, unlinkGitSource, type GitContext, type LinkInput } from './sources.js';

describe.each(engines)('git sources on %s', (engine) => {
  let ctx: TestContext;
  let keyring: Keyring;
  let shop: ProjectAccess;
  let git: GitContext;
  beforeEach(async () => {
    ctx = await setupContext(engine);
    keyring = testKeyring();
    shop = await project(ctx, await workspace(ctx, 'acme', 'high'), 'shop');
    git = { db: ctx.db, keyring, hosts: new GitHostPolicy(['127.0.0.1']) };
  });
  afterEach(() => ctx.cleanup());

  it('links with a sealed, write-only credential; a re-link keeps it for the same origin only', async () => {
    const linked = await linkGitSource(git, shop, { url: 'http://127.0.0.1:3000/team/shop.git', branchEnvs: ['feature/*'], credential: 'ghp_secret-token' });
    expect(linked).toMatchObject({ url: 'http://127.0.0.1:3000/team/shop.git', branch: 'main', branchEnvs: ['feature/*'], credential: 'set' });
    expect(JSON.stringify(linked)).not.toContain('ghp_secret-token');
    const row = await requireGitSource(ctx.db, shop);
    expect(row.credential_envelope).not.toContain('ghp_secret-token');
    expect(openCredential(keyring, row)).toBe('ghp_secret-token');

    expect(await linkGitSource(git, shop, { url: 'http://127.0.0.1:3000/team/other.git', branch: 'trunk' })).toMatchObject({ credential: 'set', branch: 'trunk' });
    expect(await linkGitSource(git, shop, { url: 'http://localhost:3000/team/other.git' })).toMatchObject({ credential: 'none' });
    expect(await linkGitSource(git, shop, { url: 'http://127.0.0.1:3000/team/other.git', credential: 'second' })).toMatchObject({ credential: 'set' });
    expect(openCredential(keyring, await requireGitSource(ctx.db, shop))).toBe('second');
    expect(await linkGitSource(git, shop, { url: 'http://127.0.0.1:3000/team/other.git', credential: null })).toMatchObject({ credential: 'none' });

    await unlinkGitSource(ctx.db, shop);
    expect(await findGitSource(ctx.db, shop.project.id)).toBeUndefined();
    await expect(unlinkGitSource(ctx.db, shop)).rejects.toMatchObject({ code: 'SLW_GIT_NOT_LINKED' });
  });

  it('stores nothing for a bad URL, host, branch, pattern, runtime or credential', async () => {
    const cases: [LinkInput, string][] = [
      [{ url: 'ext::sh -c id' }, 'SLW_GIT_URL_INVALID'],
      [{ url: 'https://10.1.2.3/x.git' }, 'SLW_GIT_HOST_REFUSED'],
      [{ url: 'http://127.0.0.1/x.git', branch: '--evil' }, 'SLW_VALIDATION'],
      [{ url: 'http://127.0.0.1/x.git', branchEnvs: ['a..b'] }, 'SLW_VALIDATION'],
      [{ url: 'http://127.0.0.1/x.git', runtime: 'cobol' }, 'SLW_RUNTIME_UNKNOWN'],
      [{ url: 'http://127.0.0.1/x.git', credential: 'a\nb' }, 'SLW_VALIDATION'],
    ];
    for (const [input, code] of cases) {
      await expect(linkGitSource(git, shop, input)).rejects.toMatchObject({ code });
    }
    expect(await findGitSource(ctx.db, shop.project.id)).toBeUndefined();
  });

  it('deploys the default branch to the first environment of the pipeline', async () => {
    expect(await defaultEnvironment(ctx.db, shop)).toBe('dev');
  });
});
