/**
 * A client command leaves nothing behind that keeps the process alive once its output is
 * written (issue 16): the CLI's main() runs in a child against a real server, and when it has
 * returned, no socket, timer or other handle is still active (the old client left undici's
 * kept-alive connection open, and every command waited for it before exiting). Without timing:
 * the check is what is still open, not how long the exit takes.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, cleanup, cli, repoRoot, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServerProcess();
  const o = { server: server.url, token: server.adminToken };
  expect((await cli(['workspace', 'create', 'acme', '--tier', 'high'], o)).code).toBe(0);
  expect((await cli(['project', 'create', 'shop', '-w', 'acme'], o)).code).toBe(0);
});
afterAll(async () => {
  await server?.stop();
  await cleanup();
});

/** Runs main(args) in a child; returns its stdout and what was still active right after main returned. */
function afterMain(args: string[]): { code: number | null; stdout: string; active: string[] } {
  const script = `
    const { main } = await import(${JSON.stringify(join(repoRoot, 'dist/cli/main.js'))});
    const out = [];
    await main(['node', 'slipway', ...${JSON.stringify(args)}], { out: (t) => out.push(t), err: (t) => out.push(t) });
    const active = process.getActiveResourcesInfo();
    process.stdout.write(JSON.stringify({ out: out.join('\\n'), active }));
  `;
  const home = tempDir('slipway-home-');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: repoRoot,
    env: childEnv({ SLIPWAY_SERVER: server.url, SLIPWAY_TOKEN: server.adminToken, HOME: home, XDG_CONFIG_HOME: join(home, '.config') }),
    encoding: 'utf8',
    timeout: 30_000,
  });
  const { out, active } = JSON.parse(r.stdout) as { out: string; active: string[] };
  return { code: r.status, stdout: out, active };
}

describe('client commands exit as soon as their output is written', () => {
  it.each([
    [['whoami']],
    [['--json', 'status', '-w', 'acme', '-p', 'shop']],
    [['config', 'get', '-w', 'acme', '-p', 'shop', '-e', 'dev']],
    [['config', 'set', 'A=1', 'B=2', '-w', 'acme', '-p', 'shop']],
  ])('slipway %j leaves no socket or timer open', (args) => {
    const r = afterMain(args);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    // Only the child's own stdout/stderr pipes or TTYs may remain.
    expect(r.active.filter((h) => !['PipeWrap', 'TTYWrap', 'FSReqCallback'].includes(h))).toEqual([]);
  });
});

describe('uploads', () => {
  it('sends the whole artifact and shows the server\'s refusal of its content', async () => {
    const file = join(tempDir('slipway-upload-'), 'app.jar');
    writeFileSync(file, randomBytes(3 * 1024 * 1024));
    const r = await cli(['build', file, '-w', 'acme', '-p', 'shop', '--version', '1.0.0'], { server: server.url, token: server.adminToken });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('upload 3.1 MB / 3.1 MB (100%)');
    expect(r.stderr).toMatch(/error SLW_ARTIFACT_INVALID: /);
  });

  it('stops sending when the server refuses the size up front', async () => {
    const small = await startServerProcess({ env: { SLIPWAY_MAX_ARTIFACT_BYTES: '1000' } });
    try {
      const o = { server: small.url, token: small.adminToken };
      expect((await cli(['workspace', 'create', 'acme', '--tier', 'low'], o)).code).toBe(0);
      expect((await cli(['project', 'create', 'shop', '-w', 'acme'], o)).code).toBe(0);
      const file = join(tempDir('slipway-upload-'), 'app.jar');
      writeFileSync(file, randomBytes(20 * 1024 * 1024));
      const r = await cli(['--json', 'build', file, '-w', 'acme', '-p', 'shop', '--version', '1.0.0'], o);
      expect(r.code).toBe(1);
      expect(r.json<{ error: { code: string } }>().error.code).toBe('SLW_ARTIFACT_TOO_LARGE');
    } finally {
      await small.stop();
    }
  });
});
