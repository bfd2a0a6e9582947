/** Pieces the service views share: a service's mode and health, an attachment's state, its variable names, and what an attach/rotate/detach rolled. */
import { href } from '../router';
import type { AttachmentChange, AttachmentInfo, ServiceInfo } from '../types';
import { Badge, Link, type Tone } from '../ui/bits';

type Health = NonNullable<ServiceInfo['provisioned']>['health'];
const healthTones = { ready: 'ok', starting: 'info', failed: 'bad', stopped: 'warn', unknown: 'muted' } as const satisfies Record<Health, Tone>;

/** "adopted", or "provisioned" with the health its target reports (its message as a tooltip). */
export function ServiceMode({ service: s }: { service: ServiceInfo }) {
  return (
    <>
      <Badge tone="muted">{s.mode}</Badge>
      {s.provisioned && (
        <>
          {' '}
          <Badge tone={healthTones[s.provisioned.health]} title={s.provisioned.message ?? undefined}>
            {s.provisioned.health}
          </Badge>
        </>
      )}
    </>
  );
}

export function AttachmentState({ state }: { state: AttachmentInfo['state'] }) {
  return <Badge tone={state === 'attached' ? 'ok' : 'warn'}>{state}</Badge>;
}

/** The injected variables by name (their values are secrets and never reach the panel). */
export function Variables({ names }: { names: string[] }) {
  return (
    <ul className="plain" aria-label="Injected variables">
      {names.map((n) => (
        <li key={n}>
          <code>{n}</code>
        </li>
      ))}
    </ul>
  );
}

/** An attachment's backup schedule in one cell: cron, next slot, last outcome ("—" for none). */
export function ScheduleCell({ schedule: s }: { schedule: AttachmentInfo['schedule'] }) {
  if (!s) return <span className="muted">—</span>;
  const tone = s.last === null ? 'muted' : s.last.status === 'ok' ? 'ok' : s.last.status === 'failed' ? 'bad' : 'info';
  return (
    <span data-schedule-cell>
      <code>{s.cron}</code>
      {s.keep !== null && <> keep {s.keep}</>}
      <br />
      <span className="muted small">next {s.nextAt ? `${s.nextAt.slice(0, 16).replace('T', ' ')} UTC` : 'never'}</span>{' '}
      <Badge tone={tone} title={s.last?.error ?? s.last?.backup ?? undefined}>
        last {s.last?.status ?? 'none yet'}
      </Badge>
    </span>
  );
}

/** The cells every attachment row has: prefix, resource, credential generation, state, variables. */
export function AttachmentCells({ attachment: a }: { attachment: AttachmentInfo }) {
  return (
    <>
      <td>{a.as ?? '—'}</td>
      <td>{a.resource ? <code>{a.resource}</code> : '—'}</td>
      <td>{a.kind === 'custom' ? <span className="muted">none (custom)</span> : `generation ${a.generation}`}</td>
      <td>
        <AttachmentState state={a.state} />
      </td>
      <td>
        <Variables names={a.variables} />
      </td>
    </>
  );
}

const verbs = { attach: 'Attached', rotate: 'Rotated the credentials of', detach: 'Detached' } as const;

export type ChangeVerb = keyof typeof verbs;

/** "Attached cache to shop/dev (generation 1). Release #4 is rolling out: watch the live log." */
export function RolledNote({ ws, verb, change, dropData = false }: { ws: string; verb: ChangeVerb; change: AttachmentChange | null; dropData?: boolean }) {
  if (!change) return null;
  const a = change.attachment;
  const where = `${a.project}/${a.environment}${a.as ? ` as ${a.as}` : ''}`;
  return (
    <p role="status" className="note">
      {verbs[verb]} {a.service} {verb === 'detach' ? 'from' : verb === 'attach' ? 'to' : 'in'} {where}
      {verb === 'detach' || a.kind === 'custom' ? '' : ` (credentials generation ${a.generation})`}.{' '}
      {verb === 'detach' && a.kind !== 'custom' && (dropData ? `Its data (${a.resource}) is dropped once no running release uses it. ` : `Its data stays in ${a.resource} on the server. `)}
      {change.deployment ? (
        <>
          Release #{change.deployment.releaseNumber} is rolling out: <Link to={href('w', ws, 'deployments', change.deployment.id)}>watch the live log</Link>.
        </>
      ) : (
        `No release rolled (nothing runs in ${a.environment}, or a deploy is in flight): the next release ${verb === 'detach' ? 'runs without it' : 'gets it'}.`
      )}
    </p>
  );
}
