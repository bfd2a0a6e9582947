import { describe, expect, it } from 'vitest';
import { formatImageReference, isLoopbackRegistry, parseImageReference } from './reference.js';

const digest = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  it.each([
    ['nginx:1', { registry: 'registry-1.docker.io', repository: 'library/nginx', tag: '1' }],
    ['nginx', { registry: 'registry-1.docker.io', repository: 'library/nginx', tag: 'latest' }],
    ['bitnami/nginx:1.25', { registry: 'registry-1.docker.io', repository: 'bitnami/nginx', tag: '1.25' }],
    ['docker.io/nginx', { registry: 'registry-1.docker.io', repository: 'library/nginx', tag: 'latest' }],
    ['ghcr.io/acme/app/web:v2', { registry: 'ghcr.io', repository: 'acme/app/web', tag: 'v2' }],
    [`ghcr.io/acme/app@${digest}`, { registry: 'ghcr.io', repository: 'acme/app', digest }],
    [`127.0.0.1:5000/t1/app:v1@${digest}`, { registry: '127.0.0.1:5000', repository: 't1/app', tag: 'v1', digest }],
    ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest' }],
    ['[::1]:5000/t1/app:v1', { registry: '[::1]:5000', repository: 't1/app', tag: 'v1' }],
    ['registry:5000/app', { registry: 'registry:5000', repository: 'app', tag: 'latest' }],
  ])('parses %s', (ref, expected) => {
    expect(parseImageReference(ref)).toEqual(expected);
  });

  it.each(['', 'Nginx:1', 'nginx:', 'nginx:-x', 'a b', 'ghcr.io/', `nginx@sha256:${'A'.repeat(64)}`, 'nginx@md5:abc', 'exa_mple.com/app', 'app//x', 'ghcr.io/acme/app:v1:v2'])('refuses %j', (ref) => {
    expect(() => parseImageReference(ref)).toThrow(expect.objectContaining({ code: 'SLW_IMAGE_REF_INVALID', message: expect.stringMatching(/write it as \[HOST\[:PORT\]\/\]NAME/) }));
  });

  it('formats back and knows loopback hosts', () => {
    expect(formatImageReference(parseImageReference('nginx:1'))).toBe('registry-1.docker.io/library/nginx:1');
    expect(['127.0.0.1:5000', '127.9.8.7', 'localhost:80', '[::1]:5000', 'localhost'].every(isLoopbackRegistry)).toBe(true);
    expect(['ghcr.io', '10.0.0.1:5000', 'localhost.example.com', '128.0.0.1'].some(isLoopbackRegistry)).toBe(false);
  });
});
