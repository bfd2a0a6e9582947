/**
 * Enrolment: an agent presents a join token and a CSR; the token is spent (once, whatever
 * happens next), the CA signs the CSR's key for that server, and the server becomes active.
 * Renewal: an agent holding a valid certificate asks for a new one over its mTLS session.
 *
 * @module
 */
import type { EnrollBody, EnrollResponse } from '../api/agent-protocol.js';
import { recordAudit, systemActor } from '../audit/audit.js';
import { SlipwayError } from '../core/errors.js';
import { nowIso } from '../platform/time.js';
import { decodeJoinToken, secretMatches } from './join-token.js';
import type { FleetContext } from './servers.js';

const refused = (why: string) => new SlipwayError('SLW_JOIN_TOKEN_INVALID', `the join token ${why}; make a new one with 'slipway server token NAME' and join with it`);

export async function enroll(ctx: FleetContext, body: EnrollBody): Promise<EnrollResponse> {
  const token = decodeJoinToken(body.token);
  if (token.caPin !== ctx.ca.pin) throw new SlipwayError('SLW_CA_PIN_MISMATCH', 'the join token pins another CA than this instance has: it was made by another Slipway instance');
  const row = await ctx.db.selectFrom('server_join_tokens as t').innerJoin('servers as s', 's.id', 't.server_id').select(['t.id', 't.secret_hash', 't.expires_at', 't.used_at', 's.id as serverId', 's.name', 's.state']).where('t.id', '=', token.id).executeTakeFirst();
  if (!row || !secretMatches(token.secret, row.secret_hash)) throw refused('is not known here');
  if (row.used_at !== null) throw refused('was used already (a join token works once)');
  if (Date.parse(row.expires_at) <= Date.now()) throw refused(`expired at ${row.expires_at}`);
  if (row.state === 'revoked') throw new SlipwayError('SLW_SERVER_REVOKED', `server '${row.name}' was revoked`);
  if (row.state !== 'pending') throw refused(`is for server '${row.name}', which has joined already`);
  const issued = await ctx.ca.signAgent(body.csr, row.serverId, ctx.agentCertificateMs);
  await ctx.db.transaction().execute(async (tx) => {
    // Spent first, conditionally: of two agents racing with one token, one wins.
    const spent = await tx.updateTable('server_join_tokens').set({ used_at: nowIso() }).where('id', '=', row.id).where('used_at', 'is', null).executeTakeFirst();
    if (Number(spent.numUpdatedRows) !== 1) throw refused('was used already (a join token works once)');
    const joined = await tx
      .updateTable('servers')
      .set({ state: 'active', enrolled_at: nowIso(), hostname: body.hostname.slice(0, 253), agent_version: body.agentVersion.slice(0, 64), cert_serial: issued.serial, cert_not_after: issued.notAfter.toISOString() })
      .where('id', '=', row.serverId)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    if (Number(joined.numUpdatedRows) !== 1) throw refused(`is for server '${row.name}', which has joined already`);
    await recordAudit(tx, systemActor, { workspaceId: null, action: 'server.join', targetType: 'server', target: row.name, details: { hostname: body.hostname.slice(0, 253), agentVersion: body.agentVersion.slice(0, 64), certificateSerial: issued.serial, notAfter: issued.notAfter.toISOString() } });
  });
  await ctx.changed?.();
  return { serverId: row.serverId, serverName: row.name, certificate: issued.certificatePem, notAfter: issued.notAfter.toISOString() };
}

/** A new certificate for an active server's agent (it proved itself with its current one). */
export async function renew(ctx: FleetContext, serverId: string, csr: string): Promise<{ certificate: string; notAfter: string }> {
  const row = await ctx.db.selectFrom('servers').select(['name', 'state']).where('id', '=', serverId).executeTakeFirst();
  if (!row || row.state !== 'active') throw new SlipwayError('SLW_SERVER_REVOKED', 'this server was revoked or removed');
  const issued = await ctx.ca.signAgent(csr, serverId, ctx.agentCertificateMs);
  await ctx.db.updateTable('servers').set({ cert_serial: issued.serial, cert_not_after: issued.notAfter.toISOString() }).where('id', '=', serverId).where('state', '=', 'active').execute();
  return { certificate: issued.certificatePem, notAfter: issued.notAfter.toISOString() };
}
