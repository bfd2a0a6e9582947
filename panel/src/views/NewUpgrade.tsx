/**
 * A new herd upgrade: the version to move to, which sites (a selector), canaries, batch size, how
 * many at once, the bake, the failure budget, a window and whether a downgrade is meant. Preview
 * asks for the plan (the waves; nothing is stored); Start starts it and opens its page. Empty
 * fields take the server's defaults (docs/herds.md).
 */
import { useState, type FormEvent } from 'react';
import { path, post } from '../api';
import { capNames, emptyUpgradeForm, upgradeBody, type UpgradeForm } from '../herd';
import type { ApplicationVersion, HerdPlan, HerdUpgrade } from '../types';
import { ErrorNote, Table } from '../ui/bits';
import { useAction } from '../ui/hooks';

const shownPerWave = 12;

export function NewUpgrade({ ws, app, versions, onStarted }: { ws: string; app: string; versions: ApplicationVersion[]; onStarted(u: HerdUpgrade): void }) {
  const base = path('workspaces', ws, 'applications', app, 'upgrades');
  const [form, setForm] = useState<UpgradeForm>(emptyUpgradeForm);
  const [plan, setPlan] = useState<HerdPlan | null>(null);
  const action = useAction();
  const to = form.to || versions.find((v) => v.latest)?.version || versions[0]?.version || '';
  const set = (key: keyof UpgradeForm) => (e: { target: { value: string } }) => {
    setForm((f) => ({ ...f, [key]: e.target.value }));
    setPlan(null);
  };
  const body = () => upgradeBody({ ...form, to });
  const preview = async (e?: FormEvent) => {
    e?.preventDefault();
    setPlan(null);
    const r = await action.run(() => post<HerdPlan>(`${base}/plan`, body()));
    if (r) setPlan(r);
  };
  const start = async () => {
    const r = await action.run(() => post<HerdUpgrade>(base, body()));
    if (r) onStarted(r);
  };
  const field = (key: Exclude<keyof UpgradeForm, 'allowDowngrade' | 'to'>, label: string, placeholder: string, hint?: string, type = 'text') => (
    <div>
      <label htmlFor={`up-${key}`}>{label}</label>
      <input id={`up-${key}`} type={type} value={form[key]} onChange={set(key)} placeholder={placeholder} spellCheck={false} aria-describedby={hint ? `up-${key}-hint` : undefined} />
      {hint && (
        <div id={`up-${key}-hint`} className="muted small">
          {hint}
        </div>
      )}
    </div>
  );
  return (
    <form onSubmit={preview} className="card form" aria-labelledby="new-upgrade-title" autoComplete="off">
      <h3 id="new-upgrade-title">New herd upgrade</h3>
      <div className="fields">
        <div>
          <label htmlFor="up-to">Upgrade to</label>
          <select id="up-to" value={to} onChange={set('to')} required>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                {v.version}
                {v.latest ? ' (latest)' : ''}
              </option>
            ))}
          </select>
        </div>
        <div className="wide">{field('sites', 'Sites', 'all sites', 'a selector: region=eu,plan!=free,version=1.2.0,!legacy')}</div>
        {field('canary', 'Canaries', '1', 'sites upgraded alone first', 'number')}
        {field('batch', 'Batch', '25%', 'sites per wave after them: N or P%')}
        {field('parallel', 'At once', '5', 'sites worked on at the same time (1-50)', 'number')}
        {field('bake', 'Bake', '30s', 'health gate after each switch; 0 for none')}
        {field('failureBudget', 'Failure budget', '0', 'failed sites tolerated: N or P%')}
        {field('window', 'Window', 'any time', 'cron (UTC) of the minutes sites may start in')}
      </div>
      <label className="check">
        <input type="checkbox" checked={form.allowDowngrade} onChange={(e) => (setForm((f) => ({ ...f, allowDowngrade: e.target.checked })), setPlan(null))} />
        Allow a downgrade (move sites back to an older release on purpose)
      </label>
      <ErrorNote error={action.error} />
      {plan && <PlanView plan={plan} />}
      <div className="actions">
        <button type="submit" className="ghost" disabled={action.busy || !to}>
          Preview
        </button>
        <button type="button" disabled={action.busy || !to} onClick={() => void start()}>
          {action.busy ? 'Working…' : 'Start upgrade'}
        </button>
      </div>
    </form>
  );
}

function PlanView({ plan }: { plan: HerdPlan }) {
  const sites = plan.waves.reduce((n, w) => n + w.sites.length, 0);
  const o = plan.options;
  return (
    <div className="plan" role="status" aria-label="Preview of the upgrade">
      <p>
        <strong>
          {sites} site{sites === 1 ? '' : 's'} in {plan.waves.length} wave{plan.waves.length === 1 ? '' : 's'}
        </strong>{' '}
        to {plan.to}; {plan.failureBudget} failure{plan.failureBudget === 1 ? '' : 's'} tolerated; {o.parallel} at once; bake {o.bakeSeconds}s{o.window ? `; window ${o.window} (UTC)` : ''}.
        {plan.skipped.length > 0 && ` Already on ${plan.to}: ${plan.skipped.length}.`} Nothing has started.
      </p>
      {plan.waves.length > 0 && (
        <Table caption="Waves of the preview" columns={['Wave', 'Kind', 'Sites', 'Names']}>
          {plan.waves.map((w) => {
            const { shown, more } = capNames(w.sites, shownPerWave);
            return (
              <tr key={w.index} data-plan-wave={w.index}>
                <td>{w.index}</td>
                <td>{w.kind}</td>
                <td>{w.sites.length}</td>
                <td>
                  {shown.join(', ')}
                  {more > 0 && <span className="muted"> +{more} more</span>}
                </td>
              </tr>
            );
          })}
        </Table>
      )}
    </div>
  );
}
