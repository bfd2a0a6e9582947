/**
 * What an agent keeps in its data directory: its private key (`agent.key`, mode 0600, never
 * leaves the host), its certificate (`agent.crt`), the CA root it pinned at the join (`ca.crt`)
 * and `agent.json` (server id and name, gateway URL). Never a secret of a workload.
 *
 * @module
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AgentIdentity {
  serverId: string;
  serverName: string;
  gatewayUrl: string;
  caPem: string;
  keyPem: string;
  certificatePem: string;
  notAfter: string;
}

const files = (dir: string) => ({ meta: join(dir, 'agent.json'), key: join(dir, 'agent.key'), cert: join(dir, 'agent.crt'), ca: join(dir, 'ca.crt') });

function writeAtomic(file: string, text: string, mode: number): void {
  writeFileSync(`${file}.tmp`, text, { mode });
  renameSync(`${file}.tmp`, file);
}

export function loadIdentity(dir: string): AgentIdentity | null {
  const f = files(dir);
  if (!existsSync(f.meta) || !existsSync(f.key) || !existsSync(f.cert) || !existsSync(f.ca)) return null;
  const meta = JSON.parse(readFileSync(f.meta, 'utf8')) as { serverId: string; serverName: string; gatewayUrl: string; notAfter: string };
  return { ...meta, caPem: readFileSync(f.ca, 'utf8'), keyPem: readFileSync(f.key, 'utf8'), certificatePem: readFileSync(f.cert, 'utf8') };
}

/** Stores the identity: key and certificate first, then the metadata that points at them. */
export function saveIdentity(dir: string, id: AgentIdentity): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = files(dir);
  writeAtomic(f.ca, id.caPem, 0o644);
  writeAtomic(f.key, id.keyPem, 0o600);
  writeAtomic(f.cert, id.certificatePem, 0o644);
  writeAtomic(f.meta, `${JSON.stringify({ serverId: id.serverId, serverName: id.serverName, gatewayUrl: id.gatewayUrl, notAfter: id.notAfter }, null, 2)}\n`, 0o644);
}
