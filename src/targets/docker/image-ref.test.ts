/**
 * Reference splitting for the pull endpoint and the `X-Registry-Auth` encoding (which the engine
 * only accepts with padding).
 */
import { describe, expect, it } from 'vitest';
import { pinnedDigest, registryAuthHeader, splitImageRef } from './image-ref.js';

const digest = `sha256:${'a'.repeat(64)}`;

describe('splitImageRef', () => {
  it.each([
    ['busybox', { fromImage: 'busybox', tag: 'latest' }],
    ['busybox:1.36', { fromImage: 'busybox', tag: '1.36' }],
    ['127.0.0.1:7070/acme/shop', { fromImage: '127.0.0.1:7070/acme/shop', tag: 'latest' }],
    ['127.0.0.1:7070/acme/shop:1.0.0', { fromImage: '127.0.0.1:7070/acme/shop', tag: '1.0.0' }],
    [`127.0.0.1:7070/acme/shop@${digest}`, { fromImage: '127.0.0.1:7070/acme/shop', tag: digest }],
    [`127.0.0.1:7070/acme/shop:1.0.0@${digest}`, { fromImage: '127.0.0.1:7070/acme/shop', tag: digest }],
  ])('%s', (ref, expected) => {
    expect(splitImageRef(ref)).toEqual(expected);
  });

  it.each(['', ':tag', 'repo@sha256:short', 'repo:', 'a b'])('refuses %j', (ref) => {
    expect(() => splitImageRef(ref)).toThrow(/is not HOST\/NAME/);
  });

  it('finds the pinned digest', () => {
    expect(pinnedDigest(`r@${digest}`)).toBe(digest);
    expect(pinnedDigest('r:1')).toBeUndefined();
  });
});

describe('registryAuthHeader', () => {
  it('is URL-safe base64 with padding, for every padding length', () => {
    for (const username of ['u', 'us', 'use']) {
      const auth = { username, password: 'p+/?~>>>', serveraddress: '127.0.0.1:7070' };
      const header = registryAuthHeader(auth);
      expect(header).toMatch(/^[A-Za-z0-9_-]+={0,2}$/);
      expect(header.length % 4).toBe(0);
      expect(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).toEqual(auth);
    }
  });
});
