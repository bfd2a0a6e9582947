/**
 * An environment's settings, edited as `slipway env set` edits them: every field says what the
 * setting is now, an empty one leaves it, and only what differs is sent (`PATCH …/settings`,
 * said before it is). The API's refusal (a bad domain, one taken, SLW_FORBIDDEN for protection
 * settings) is shown with its code and nothing is changed; after a save the page says what
 * happened (a scaling or a move with its live log) and reads the settings again. A custom domain
 * and the memory and CPU limits go back to their defaults (null) with a checkbox. Below the form,
 * the certificates of its domain on the servers it runs on, as `env show` lists them. Its volumes
 * are listed with a box to remove each and a field to add one (`--volume NAME:/PATH`); below the
 * form, each volume's backups (`slipway volume …`: VolumeBackups.tsx), outside it because their
 * dialogs are forms of their own.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, get, patch, path } from '../api';
import { blankProtection, blankSettingsForm, currentText, defaultDomainOf, describeSettings, formTouched, settingsBody, type SettingsForm } from '../env-settings';
import type { EnvironmentList, EnvironmentSettingsView, SettingsChanged, WorkspaceList } from '../types';
import { ErrorNote, Loading } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { useChanges } from '../ui/live';
import { EnvCertificates } from './EnvCertificates';
import { EnvProtectionFields } from './EnvProtectionFields';
import { EnvPlacementFields, EnvRuntimeFields } from './EnvRuntimeFields';
import { SettingsSaved, type Saved } from './SettingsSaved';
import { EnvVolumeFields } from './EnvVolumeFields';
import { VolumeBackups } from './VolumeBackups';

export function EnvSettings({ ws, project, env }: { ws: string; project: string; env: string }) {
  const url = `${path('workspaces', ws, 'projects', project, 'environments', env)}/settings`;
  const settings = useLoad(() => get<EnvironmentSettingsView>(url), url);
  const envs = useLoad(() => get<EnvironmentList>(`${path('workspaces', ws, 'projects', project)}/environments`), `${ws}/${project}`);
  const workspaces = useLoad(() => get<WorkspaceList>('workspaces'), 'workspaces');
  const role = workspaces.data?.workspaces.find((w) => w.name === ws)?.role;
  useChanges(() => settings.reload(), (c) => c.project === project && c.environment === env);
  const [form, setForm] = useState<SettingsForm>(blankSettingsForm);
  const set = (change: Partial<SettingsForm>) => setForm((f) => ({ ...f, ...change }));
  const [refused, setRefused] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState<Saved | null>(null);
  const action = useAction();
  // A role below admin (also one lowered since the page was read): what it may not send is emptied, the rest kept.
  const mayProtect = role === undefined || role === 'admin' || role === 'owner';
  useEffect(() => {
    if (!mayProtect) setForm((f) => ({ ...f, ...blankProtection }));
  }, [mayProtect]);
  const s = settings.data;
  if (!s) return settings.error ? <ErrorNote error={settings.error} /> : <Loading what="settings" />;
  const now = currentText(s);
  const ownDefault = defaultDomainOf(ws, project, env);
  const built = settingsBody(s, form, ownDefault);
  const changes = 'body' in built ? describeSettings(built.body) : [];
  const typed = formTouched(form);
  const viewer = role === 'viewer';
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    action.clear();
    if ('error' in built) return setRefused(new ApiError(built.error.code, built.error.message, 0));
    setRefused(null);
    const answer = await action.run(() => patch<SettingsChanged>(url, built.body));
    if (!answer) {
      // A role lowered since the page was read: read it again, so the protection group says so.
      workspaces.reload();
      return;
    }
    setSaved({ changes, body: built.body, answer });
    setForm(blankSettingsForm);
    settings.reload();
  };
  const others = (envs.data?.environments ?? []).map((e) => e.name).filter((n) => n !== env);
  return (
    <>
      <form className="form settings" aria-label={`Settings of ${env}`} onSubmit={(e) => void save(e)} autoComplete="off">
        <p className="muted">
          Each field shows what the setting is now; leave it empty to keep it. A new replica count or placement applies to the running release at once, the rest at its next release (a deploy, promotion, config change or rollback).
        </p>
        {viewer && <p className="note">Your role here is viewer: you can read these settings, not change them.</p>}
        <EnvRuntimeFields form={form} now={now} set={set} disabled={viewer} resettable={{ defaultDomain: s.domain === ownDefault ? null : ownDefault, memoryLimit: s.memoryBytes !== null, cpuLimit: s.nanoCpus !== null }} />
        <EnvProtectionFields form={form} now={now} set={set} role={role} upstreams={others} hasPipelineGate={s.gatePipeline !== null} hasHealthGate={s.gateHealth !== null} />
        <EnvPlacementFields form={form} now={now} set={set} disabled={viewer} />
        <EnvVolumeFields volumes={s.volumes} form={form} set={set} disabled={viewer} />
        <p className="muted" role="status" data-changes="">
          {changes.length > 0 ? `To save: ${changes.join('; ')}.` : typed && 'body' in built ? 'Nothing differs from the settings now.' : !typed ? 'Nothing changed yet.' : ''}
        </p>
        <ErrorNote error={refused ?? action.error} />
        <div className="actions">
          <button type="submit" disabled={action.busy || viewer || ('body' in built && changes.length === 0)}>
            {action.busy ? 'Saving…' : 'Save settings'}
          </button>
          <button type="button" className="ghost" disabled={action.busy || !typed} onClick={() => (setForm(blankSettingsForm), setRefused(null), action.clear())}>
            Clear
          </button>
        </div>
        <SettingsSaved ws={ws} env={env} saved={saved} />
      </form>
      {s.volumes.map((v) => (
        <VolumeBackups key={v.name} ws={ws} project={project} env={env} volume={v} role={role} requireApproval={s.requireApproval} />
      ))}
      <EnvCertificates target={s.target} certificates={s.certificates} />
    </>
  );
}
