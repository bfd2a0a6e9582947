/**
 * The agent's report of its edge's certificates: checked every 10 s by the agent's timer, sent to
 * the control plane when anything changed (and afresh at each session's opening), each domain's
 * change logged.
 *
 * @module
 */
import type { AgentMessage } from '../api/agent-protocol.js';
import type { CertificateState } from '../edge/index.js';
import type { AgentEdgeHandle } from './edge.js';

export interface CertificateReporter {
  /** Checks now (unless a check runs) and sends when anything changed. */
  check(): void;
  /** Checks now and sends whatever it finds (a new session knows nothing yet). */
  resend(): void;
}

function describe(c: CertificateState): string {
  if (c.state === 'valid' || c.state === 'expired') return `${c.state} (${c.source}, issued by ${c.issuer ?? 'unknown'}, until ${c.notAfter ?? 'unknown'})`;
  return c.error ? `${c.state} (${c.source}): ${c.error}` : `${c.state} (${c.source})`;
}

export function certificateReporter(edge: AgentEdgeHandle, send: (m: AgentMessage) => void, log: (level: 'info' | 'warn', message: string) => void): CertificateReporter {
  let last: string | null = null;
  let seen = new Map<string, string>();
  let running = false;
  const check = () => {
    if (running) return;
    running = true;
    void edge
      .certificates()
      .then((certificates) => {
        const now = new Map(certificates.map((c) => [c.domain, describe(c)]));
        for (const [domain, text] of now) if (seen.get(domain) !== text) log(text.startsWith('failed') || text.startsWith('expired') ? 'warn' : 'info', `edge: certificate for ${domain}: ${text}`);
        seen = now;
        const json = JSON.stringify(certificates);
        if (json === last) return;
        last = json;
        send({ type: 'certificates', certificates });
      })
      .catch((error: unknown) => log('warn', `edge: cannot read the certificates: ${(error as Error).message}`))
      .finally(() => (running = false));
  };
  return {
    check,
    resend() {
      last = null;
      check();
    },
  };
}
