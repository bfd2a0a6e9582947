import { describe, expect, it } from 'vitest';
import { tokenRealm } from './realm.js';

const socket = { localAddress: '127.0.0.1', localPort: 7070, remoteAddress: '127.0.0.1' };

describe('the token realm', () => {
  it('never carries what the client sent in Host', () => {
    for (const host of ['evil.example', 'evil.example"; x="', '127.0.0.1:7070/../evil', 'attacker:1']) {
      expect(tokenRealm({ publicUrl: undefined, ...socket, host })).toBe('http://127.0.0.1:7070/v2/token');
      expect(tokenRealm({ publicUrl: 'https://registry.example.com', ...socket, host })).toBe('https://registry.example.com/v2/token');
    }
  });

  it('is the address the connection reached without a public URL (a wildcard listener, IPv6)', () => {
    expect(tokenRealm({ publicUrl: undefined, localAddress: '::ffff:10.0.0.5', localPort: 7070, remoteAddress: '::ffff:10.0.0.9', host: 'x' })).toBe('http://10.0.0.5:7070/v2/token');
    expect(tokenRealm({ publicUrl: undefined, localAddress: 'fd00::5', localPort: 7070, remoteAddress: 'fd00::9', host: 'x' })).toBe('http://[fd00::5]:7070/v2/token');
  });

  it('sends a loopback client that addressed the loopback listener itself to it, everyone else to the public URL', () => {
    const publicUrl = 'https://registry.example.com';
    expect(tokenRealm({ publicUrl, ...socket, host: '127.0.0.1:7070' })).toBe('http://127.0.0.1:7070/v2/token');
    // Through a proxy on this machine, the Host is the public name: the public URL.
    expect(tokenRealm({ publicUrl, ...socket, host: 'registry.example.com' })).toBe(`${publicUrl}/v2/token`);
    // A remote client naming the listener's address is still sent to the public URL.
    expect(tokenRealm({ publicUrl, localAddress: '10.0.0.5', localPort: 7070, remoteAddress: '10.0.0.9', host: '10.0.0.5:7070' })).toBe(`${publicUrl}/v2/token`);
  });
});
