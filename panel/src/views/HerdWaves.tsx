/**
 * An upgrade's waves, each with a progress bar (inline SVG: done, failed, left as it was, in
 * flight, waiting for approval, not started) and its step counts in words. A herd upgraded one
 * site per wave has thousands of waves: the first 100 are drawn, then a count.
 */
import { stepSummary, waveSegments, type StepGroup } from '../herd';
import type { HerdUpgrade } from '../types';
import { Badge } from '../ui/bits';

const shown = 100;

const groupWords: Record<StepGroup, string> = {
  done: 'done',
  failed: 'failed',
  left: 'left as they were',
  active: 'in flight',
  waiting: 'waiting for approval',
  pending: 'not started',
};

export function HerdWaves({ upgrade: u }: { upgrade: HerdUpgrade }) {
  if (u.waves.length === 0) return <p className="muted">No sites to move: every selected site was on {u.to} already.</p>;
  return (
    <section aria-labelledby="waves-title">
      <h2 id="waves-title">Waves</h2>
      <ol className="waves">
        {u.waves.slice(0, shown).map((w) => {
          const done = w.steps.done ?? 0;
          const segments = waveSegments(w.steps);
          const words = segments.map((s) => `${s.count} ${groupWords[s.group]}`).join(', ');
          return (
            <li key={w.index} className="wave" data-wave={w.index} data-current={u.wave === w.index && u.finishedAt === null ? 'yes' : 'no'}>
              <div className="wave-head">
                <strong>
                  Wave {w.index} · {w.kind}
                </strong>{' '}
                <span className="muted">
                  {w.sites} site{w.sites === 1 ? '' : 's'} · {done} of {w.sites} done
                </span>
                {u.wave === w.index && u.finishedAt === null && <Badge tone="info">current</Badge>}
              </div>
              <svg className="wave-bar" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label={`Wave ${w.index}: ${words}`}>
                <rect className="bar-track" x={0} y={0} width={100} height={6} />
                {segments.map((s) => (
                  <rect key={s.group} className={`bar-${s.group}`} x={s.x} y={0} width={s.width} height={6} />
                ))}
              </svg>
              <div className="small wave-steps" data-steps="">
                {stepSummary(w.steps)}
              </div>
            </li>
          );
        })}
      </ol>
      {u.waves.length > shown && <p className="muted">+{u.waves.length - shown} more waves (the sites below list every site's wave).</p>}
    </section>
  );
}
