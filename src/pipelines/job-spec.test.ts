import { describe, expect, it } from 'vitest';
import type { ManifestJob } from '../core/manifest.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { jobImage, redactLine } from './job-spec.js';

const access = { workspace: { name: 'acme' }, project: { name: 'shop' } } as EnvironmentAccess;
const registry = { host: '127.0.0.1:7070', auth: (repository: string) => ({ registry: '127.0.0.1:7070', username: 'slipway-deploy', password: `token-for-${repository}` }) };
const job = (image: string): ManifestJob => ({ name: 'j', image, command: null, env: {}, timeoutSeconds: 60, resources: { cpuMillis: null, memoryBytes: null } });

describe('job specs', () => {
  it('runs $build by digest from the project repository, with a pull token for it', () => {
    expect(jobImage(access, registry, job('$build'), 'sha256:abc')).toEqual({ image: '127.0.0.1:7070/acme/shop@sha256:abc', auth: expect.objectContaining({ password: 'token-for-acme/shop' }) });
  });

  it("pulls another repository of the workspace with a token for it, refuses another workspace's, and pulls foreign registries without Slipway's credentials", () => {
    expect(jobImage(access, registry, job('127.0.0.1:7070/acme/tools:1.2'), 'x').auth?.password).toBe('token-for-acme/tools');
    expect(() => jobImage(access, registry, job('127.0.0.1:7070/other/db@sha256:1'), 'x')).toThrow(/not in workspace 'acme'/);
    expect(jobImage(access, registry, job('registry.example.com/tools:1'), 'x')).toEqual({ image: 'registry.example.com/tools:1', auth: null });
  });

  it('redacts secret values of four characters or more from output lines', () => {
    expect(redactLine('url postgres://u:pa55word@h/db and pa55word', ['postgres://u:pa55word@h/db', 'pa55word', 'ab'])).toBe('url [redacted] and [redacted]');
    expect(redactLine('ab stays', ['ab'])).toBe('ab stays');
  });
});
