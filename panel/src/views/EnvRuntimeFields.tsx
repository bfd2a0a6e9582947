/** How an environment runs (domain, port, replicas, strategy, health check, limits) and where (target, servers or a server label), as `env set` takes them; a custom domain and the limits go back to their defaults with a checkbox. */
import type { ReactNode } from 'react';
import type { currentText, SettingsForm } from '../env-settings';
import { ChoiceSetting, TextSetting } from './SettingFields';

interface Props {
  form: SettingsForm;
  now: ReturnType<typeof currentText>;
  set(change: Partial<SettingsForm>): void;
  disabled: boolean;
}

/** What is not at its default now, so a checkbox can put it back: the default domain (when another is set), a memory limit, a CPU limit. */
export interface Resettable {
  /** The environment's default domain, when it has another one now; else null. */
  defaultDomain: string | null;
  memoryLimit: boolean;
  cpuLimit: boolean;
}

const strategies = [
  ['rolling', 'rolling (zero downtime)'],
  ['recreate', 'recreate (stops the old first)'],
] as const;
const healthTypes = [
  ['http', 'http (a path answers 2xx/3xx)'],
  ['tcp', 'tcp (the port accepts)'],
  ['image', "image (the image's HEALTHCHECK)"],
] as const;

export function EnvRuntimeFields({ form, now, set, disabled, resettable }: Props & { resettable: Resettable }) {
  const text = (key: keyof typeof now & keyof SettingsForm, label: string, extra: { hint?: string; numeric?: boolean; wide?: boolean; disabled?: boolean; after?: ReactNode } = {}) => (
    <TextSetting id={`setting-${key}`} label={label} now={now[key]} value={String(form[key])} onChange={(v) => set({ [key]: v })} disabled={disabled} {...extra} />
  );
  const check = (key: 'defaultDomain' | 'unlimitedMemory' | 'unlimitedCpus', label: string) => (
    <label className="check">
      <input type="checkbox" checked={form[key]} onChange={(e) => set({ [key]: e.target.checked })} /> {label}
    </label>
  );
  return (
    <fieldset className="settings-group" disabled={disabled}>
      <legend>How it runs</legend>
      <div className="fields">
        {text('domain', 'Domain', { wide: true, hint: 'the edge routes it to this environment; unique across the instance', disabled: disabled || form.defaultDomain, after: resettable.defaultDomain !== null && check('defaultDomain', `Use the default domain (${resettable.defaultDomain})`) })}
        {text('port', 'Port', { numeric: true, hint: 'the app listens on it in its container' })}
        {text('replicas', 'Replicas', { numeric: true, hint: 'a running release is scaled at once' })}
        {text('maxSurge', 'Max surge', { numeric: true, hint: 'extra containers a rolling deploy starts at once' })}
        <ChoiceSetting id="setting-strategy" label="Strategy" now={now.strategy} value={form.strategy} onChange={(strategy) => set({ strategy })} options={strategies} disabled={disabled} />
        <ChoiceSetting id="setting-healthType" label="Health check" now={now.healthType} value={form.healthType} onChange={(healthType) => set({ healthType })} options={healthTypes} disabled={disabled} />
        {text('healthPath', 'Health path', { hint: 'e.g. /healthz' })}
        {text('healthTimeout', 'Health timeout (seconds)', { numeric: true, hint: 'how long a new container gets to become ready' })}
        {text('memory', 'Memory limit', { hint: 'e.g. 512m or 1g, or unlimited', disabled: disabled || form.unlimitedMemory, after: resettable.memoryLimit && check('unlimitedMemory', 'No memory limit') })}
        {text('cpus', 'CPU limit', { hint: 'e.g. 0.5 or 2, or unlimited', disabled: disabled || form.unlimitedCpus, after: resettable.cpuLimit && check('unlimitedCpus', 'No CPU limit') })}
      </div>
    </fieldset>
  );
}

/** One of three, as `--target`, `--servers` and `--server-label`: each replaces where it runs; a running release moves there at once. */
export function EnvPlacementFields({ form, now, set, disabled }: Props) {
  return (
    <fieldset className="settings-group" disabled={disabled}>
      <legend>Where it runs</legend>
      <p className="muted small">
        now: <span data-now="placement">{now.target}</span>. Fill one of the three; a running release moves at once and leaves the old place once live in the new one.
      </p>
      <div className="fields">
        <TextSetting id="setting-target" label="Target" hint="local or a server's name" value={form.target} onChange={(target) => set({ target })} disabled={disabled} />
        <TextSetting id="setting-servers" label="Servers" hint="replicas spread across them: a, b" value={form.servers} onChange={(servers) => set({ servers })} disabled={disabled} />
        <TextSetting id="setting-serverLabel" label="Server label" hint="every joined server with it: zone=a" value={form.serverLabel} onChange={(serverLabel) => set({ serverLabel })} disabled={disabled} />
      </div>
      {now.hasVolumes && (
        <label className="check">
          <input type="checkbox" id="setting-copyVolumes" checked={form.copyVolumes} onChange={(e) => set({ copyVolumes: e.target.checked, ...(e.target.checked ? {} : { stopFirst: false }) })} /> Copy its volumes' data to the new target (a backup here, unpacked there before the move; what is written after the backup stays behind). Without it the new target starts with empty volumes.
        </label>
      )}
      {now.hasVolumes && form.copyVolumes && (
        <label className="check">
          <input type="checkbox" id="setting-stopFirst" checked={form.stopFirst} onChange={(e) => set({ stopFirst: e.target.checked })} /> Stop it here first, so no write stays behind (as <code>--stop-first</code>): it serves nothing until the move's release is live on the new target.
        </label>
      )}
    </fieldset>
  );
}
