/** The state of a request's gates (approval, the pipeline against the candidate, then health after the switch) and of an environment's health gate. */
import type { Promotion } from '../types';
import { StatusBadge } from '../ui/bits';

type HealthGate = NonNullable<Promotion['gates']['health']>;

const pct = (rate: number) => `${Math.round(rate * 1000) / 10}%`;

/** `baking 12/30 s · 0% errors (0 of 60 requests) · 1/1 ready`, or how it ended. */
export function healthText(g: HealthGate): string {
  const measured = `${pct(g.errorRate)} errors (${g.errors} of ${g.requests} requests, ${g.probes} of them probes) · ${g.ready ?? '?'}/${g.replicas} ready`;
  if (g.status === 'baking') {
    const elapsed = Math.min(g.bakeSeconds, Math.round((Date.now() - Date.parse(g.startedAt)) / 1000));
    return `${elapsed}/${g.bakeSeconds} s, at most ${pct(g.maxErrorRate)} · ${measured}`;
  }
  if (g.status === 'failed') return `rolled back by health gate: ${g.reason ?? measured}`;
  return g.reason ?? measured;
}

export function HealthGateState({ gate, label = 'Health gate' }: { gate: HealthGate; label?: string }) {
  return (
    <span className="gate" data-gate="health" data-gate-status={gate.status}>
      {label} of release #{gate.releaseNumber}: <StatusBadge status={gate.status} /> {healthText(gate)}
    </span>
  );
}

function approvalText(p: Promotion): string {
  const a = p.gates.approval;
  if (a.state === 'pending') return 'waits for an admin or owner';
  if (a.state === 'approved' || a.state === 'rejected') return `by ${a.by ?? 'unknown'}`;
  return a.required ? 'skipped by an admin (see the audit log)' : 'not required';
}

/** Each gate of a request in order. */
export function PromotionGates({ p }: { p: Promotion }) {
  const a = p.gates.approval;
  return (
    <ul className="gates" aria-label={`Gates of ${p.id}`} data-gates={p.id}>
      <li data-gate="approval" data-gate-status={a.state}>
        Approval: <StatusBadge status={a.state === 'none' ? 'not required' : a.state} /> {approvalText(p)}
      </li>
      {(p.gates.pipeline || p.status === 'testing') && (
        <li data-gate="pipeline" data-gate-status={p.gates.pipeline?.status ?? 'starting'}>
          Pipeline: <StatusBadge status={p.gates.pipeline?.status ?? 'starting'} /> {p.gates.pipeline ? `${p.gates.pipeline.pipeline}, run ${p.gates.pipeline.runId}${p.gates.pipeline.error ? `: ${p.gates.pipeline.error}` : ''}` : 'against this image'}
        </li>
      )}
      {p.gates.health && (
        <li>
          <HealthGateState gate={p.gates.health} label="Health" />
        </li>
      )}
    </ul>
  );
}
