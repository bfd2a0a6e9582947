/**
 * What protects an environment (approval, a required promotion, the pipeline and health gates,
 * docs/gates.md), as `env set --require-approval`, `--require-promotion` and `--gate` take them.
 * Only admins and owners change these: for any other role the group is disabled and says so (the
 * API refuses them with SLW_FORBIDDEN anyway, shown if a role changed since the page was read).
 */
import { ANY_IMAGE, type currentText, type SettingsForm } from '../env-settings';
import { ChoiceSetting, TextSetting } from './SettingFields';

interface Props {
  form: SettingsForm;
  now: ReturnType<typeof currentText>;
  set(change: Partial<SettingsForm>): void;
  /** The caller's role in the workspace (undefined while it is read). */
  role: string | undefined;
  /** The project's other environments, for a required promotion. */
  upstreams: string[];
  hasPipelineGate: boolean;
  hasHealthGate: boolean;
}

const approvals = [
  ['required', 'required'],
  ['not-required', 'not required'],
  ['default', "the default (prod: required; else the project manifest's)"],
] as const;

export function EnvProtectionFields({ form, now, set, role, upstreams, hasPipelineGate, hasHealthGate }: Props) {
  const allowed = role === 'admin' || role === 'owner';
  const promotions = [[ANY_IMAGE, 'any image'] as const, ...upstreams.map((e) => [e, `only images that ran in ${e}`] as const)];
  return (
    <fieldset className="settings-group" disabled={!allowed} aria-describedby="protection-who">
      <legend>What protects it (admins and owners)</legend>
      <p id="protection-who" className={allowed ? 'muted small' : 'note small'} data-protection-note="">
        {allowed ? 'Gates apply in order: approval, the pipeline against the candidate image, then health after the switch.' : role === undefined ? 'Reading your role…' : `Only an admin or owner changes these (your role here: ${role}); ask one, or change the other settings.`}
      </p>
      <div className="fields">
        <ChoiceSetting id="setting-approval" label="Require approval" now={now.approval} value={form.approval} onChange={(approval) => set({ approval })} options={approvals} />
        <ChoiceSetting id="setting-promotion" label="Require promotion" now={now.promotion} value={form.promotion} onChange={(promotion) => set({ promotion })} options={promotions} />
        <TextSetting id="setting-gatePipeline" label="Pipeline gate" now={now.gatePipeline} hint="a pipeline of the manifest that must pass against the candidate image" value={form.gatePipeline} onChange={(gatePipeline) => set({ gatePipeline })} disabled={form.removePipelineGate} />
        {hasPipelineGate && (
          <label className="check">
            <input type="checkbox" checked={form.removePipelineGate} onChange={(e) => set({ removePipelineGate: e.target.checked })} /> Remove the pipeline gate
          </label>
        )}
      </div>
      <p className="muted small">
        Health gate now: <span data-now="setting-gateHealth">{now.gateHealth}</span>. Watched for its bake after the switch, rolled back when it fails; a new one needs its bake (the rate defaults to 5%, the path to /), an empty field keeps its value.
      </p>
      <div className="fields">
        <TextSetting id="setting-gateBake" label="Health gate bake" hint="30s, 2m: 5 s to 1 h" value={form.gateBake} onChange={(gateBake) => set({ gateBake })} disabled={form.removeHealthGate} />
        <TextSetting id="setting-gateMaxErrorRate" label="Health gate max error rate" hint="5% or 0.05" value={form.gateMaxErrorRate} onChange={(gateMaxErrorRate) => set({ gateMaxErrorRate })} disabled={form.removeHealthGate} />
        <TextSetting id="setting-gatePath" label="Health gate path" hint="probed on its domain: /healthz" value={form.gatePath} onChange={(gatePath) => set({ gatePath })} disabled={form.removeHealthGate} />
        {hasHealthGate && (
          <label className="check">
            <input type="checkbox" checked={form.removeHealthGate} onChange={(e) => set({ removeHealthGate: e.target.checked })} /> Remove the health gate
          </label>
        )}
      </div>
    </fieldset>
  );
}
