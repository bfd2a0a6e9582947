/**
 * Joining: read the token, fetch and pin-check the gateway's CA, make a key and a CSR, spend the
 * token for a certificate, store the identity. Nothing is stored unless every step succeeded.
 *
 * @module
 */
import { hostname } from 'node:os';
import type { EnrollResponse } from '../api/agent-protocol.js';
import { newKeyAndCsr } from '../fleet/ca.js';
import { decodeJoinToken } from '../fleet/join-token.js';
import { slipwayVersion } from '../platform/version.js';
import { fetchPinnedCa, postJson } from './https.js';
import { saveIdentity, type AgentIdentity } from './state.js';

export async function join(token: string, dataDir: string): Promise<AgentIdentity> {
  const t = decodeJoinToken(token);
  const caPem = await fetchPinnedCa(t.gatewayUrl, t.caPin);
  const { keyPem, csrPem } = await newKeyAndCsr(hostname());
  const r = await postJson<EnrollResponse>(`${t.gatewayUrl}/v1/enroll`, caPem, { token, csr: csrPem, hostname: hostname(), agentVersion: slipwayVersion() });
  const identity: AgentIdentity = { serverId: r.serverId, serverName: r.serverName, gatewayUrl: t.gatewayUrl, caPem, keyPem, certificatePem: r.certificate, notAfter: r.notAfter };
  saveIdentity(dataDir, identity);
  return identity;
}
