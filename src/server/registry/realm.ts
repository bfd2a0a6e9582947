/**
 * The token realm a registry challenge names. Never built from what the client sends: a
 * client's `Host` or `X-Forwarded-*` header could point its own registry client (or a cache in
 * between) at a realm of the attacker's choosing, and would be echoed unescaped into a header.
 *
 * - With a public URL (`--public-url`), the realm is there, except for a client on this machine
 *   that addressed the listener's own loopback address (the deploy engine's Docker engine, a
 *   local `docker push 127.0.0.1:7070/…`): it gets that address, which it can surely reach.
 * - Without one, the realm is the address the client's connection reached (the listen address,
 *   or, on a wildcard listener, the interface the client came in on): read from the socket.
 *
 * @module
 */

/** What the realm depends on: the socket's ends and the Host header (compared, never echoed). */
export interface RealmInput {
  publicUrl: string | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  remoteAddress: string | undefined;
  host: string | undefined;
}

/** An address as it appears in a URL's authority: IPv4-mapped IPv6 unwrapped, IPv6 bracketed. */
function hostPart(address: string): string {
  const plain = address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
  return plain.includes(':') ? `[${plain}]` : plain;
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return plain === '::1' || /^127\./.test(plain);
}

/** The `realm` URL of the token endpoint for one request. */
export function tokenRealm(input: RealmInput): string {
  const local = input.localAddress && input.localPort ? `${hostPart(input.localAddress)}:${input.localPort}` : '127.0.0.1';
  const own = `http://${local}/v2/token`;
  if (!input.publicUrl) return own;
  if (isLoopback(input.remoteAddress) && isLoopback(input.localAddress) && input.host?.toLowerCase() === local) return own;
  return `${input.publicUrl}/v2/token`;
}
