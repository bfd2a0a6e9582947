/**
 * The agent's registry proxy: a plain-HTTP listener on this server's loopback (Docker pulls from
 * 127.0.0.0/8 without TLS, and nothing outside the server reaches it) that forwards each request
 * to the control plane's registry through the agent gateway over mTLS, with the agent's own
 * certificate and only the pinned CA trusted. The token realm the registry answers is rewritten
 * to the proxy, so the engine's token request goes the same way.
 *
 * @module
 */
import { createServer } from 'node:http';
import { Agent as HttpsAgent, request } from 'node:https';
import { forwardable } from '../platform/proxy-headers.js';
import type { AgentIdentity } from './state.js';


export interface RegistryProxy {
  /** `127.0.0.1:PORT`: the registry host image references are rewritten to. */
  host: string;
  close(): Promise<void>;
}

export async function startRegistryProxy(identity: () => AgentIdentity, port = 0): Promise<RegistryProxy> {
  let agentFor: { cert: string; agent: HttpsAgent } | undefined;
  const tlsAgent = () => {
    const id = identity();
    if (agentFor?.cert !== id.certificatePem) {
      agentFor?.agent.destroy();
      agentFor = { cert: id.certificatePem, agent: new HttpsAgent({ keepAlive: true, maxSockets: 16, ca: id.caPem, cert: id.certificatePem, key: id.keyPem }) };
    }
    return agentFor.agent;
  };
  let self = '';
  const server = createServer((req, res) => {
    const id = identity();
    const target = new URL(req.url ?? '/', id.gatewayUrl);
    if (!target.pathname.startsWith('/v2')) {
      res.writeHead(404).end();
      return;
    }
    const up = request(target, { method: req.method, headers: forwardable(req.headers), agent: tlsAgent() }, (answer) => {
      const headers = forwardable(answer.headers);
      const auth = headers['www-authenticate'];
      if (typeof auth === 'string') headers['www-authenticate'] = auth.replace(/realm="[^"]*"/, `realm="http://${self}/v2/token"`);
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'the control plane is unreachable' }] }));
      else res.destroy();
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  self = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    host: self,
    close: async () => {
      agentFor?.agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
