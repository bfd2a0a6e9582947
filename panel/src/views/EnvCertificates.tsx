/**
 * The certificates of an environment's domain, as `slipway env show` lists them: one per server
 * whose edge serves it (state, source, issuer, expiry, the last error), as the servers' agents
 * last reported them in `GET …/settings`. The local target has none: its edge serves HTTP only.
 */
import { relative } from '../format';
import type { EnvironmentSettingsView } from '../types';
import { Badge, Table } from '../ui/bits';

type Certificate = EnvironmentSettingsView['certificates'][number];

const tones = { valid: 'ok', expired: 'bad', pending: 'info', failed: 'bad' } as const;
const states: Record<Certificate['state'], string> = { valid: 'valid', expired: 'expired', pending: 'pending: none issued yet', failed: 'failed: none issued' };

export function EnvCertificates({ target, certificates }: { target: string; certificates: Certificate[] }) {
  return (
    <section aria-labelledby="certificates-title" className="certificates">
      <h2 id="certificates-title">Certificates</h2>
      {certificates.length === 0 ? (
        <p className="muted" data-certificates="none">
          {target === 'local' ? 'None: the local edge serves HTTP only.' : 'None reported yet: the servers’ agents report their certificates once the domain is routed there.'}
        </p>
      ) : (
        <Table caption="Certificates of the domain on each server it runs on" columns={['Domain', 'Server', 'State', 'From', 'Issuer', 'Valid until', 'Last error']}>
          {certificates.map((c) => (
            <tr key={`${c.server} ${c.domain}`} data-certificate={c.server}>
              <td>{c.domain}</td>
              <td>{c.server}</td>
              <td>
                <Badge tone={tones[c.state]}>{states[c.state]}</Badge>
              </td>
              <td>{c.source === 'acme' ? 'ACME (the instance’s directory)' : 'internal (the edge’s own CA)'}</td>
              <td>{c.issuer ?? '—'}</td>
              <td>{c.notAfter ? <time dateTime={c.notAfter} title={c.notAfter}>{`${c.notAfter} (${relative(c.notAfter)})`}</time> : '—'}</td>
              <td className={c.error ? 'bad' : 'muted'}>{c.error ?? 'none'}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
