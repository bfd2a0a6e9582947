/** An environment's volumes, as `env show` lists them and `env set --volume NAME:/PATH` / `--remove-volume NAME` change them: each with its path and Docker volume, a link to its backups (below the form), a box to stop mounting it, and a field to add one. */
import type { EnvironmentSettingsView } from '../types';
import type { SettingsForm } from '../env-settings';
import { TextSetting } from './SettingFields';

interface Props {
  volumes: EnvironmentSettingsView['volumes'];
  form: SettingsForm;
  set(change: Partial<SettingsForm>): void;
  disabled: boolean;
}

export function EnvVolumeFields({ volumes, form, set, disabled }: Props) {
  const toggle = (name: string, on: boolean) => set({ removeVolumes: on ? [...form.removeVolumes, name] : form.removeVolumes.filter((n) => n !== name) });
  return (
    <fieldset className="settings-group" disabled={disabled} aria-label="Volumes">
      <legend>Volumes</legend>
      <p className="muted small">
        Named volumes keep files across deploys (uploads, a SQLite file). Changes apply at the next release. During a rolling deploy the old and new replicas share a volume: use the recreate strategy for apps that lock their data. A volume lives on the server the environment runs on; a removed one keeps its data.
      </p>
      {volumes.length === 0 ? (
        <p className="muted" data-volumes="none">
          No volumes.
        </p>
      ) : (
        <table className="table" aria-label="Volumes now">
          <thead>
            <tr>
              <th>Name</th>
              <th>Mounted at</th>
              <th>Docker volume</th>
              <th>Backups</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {volumes.map((v) => (
              <tr key={v.name} data-volume={v.name}>
                <td>{v.name}</td>
                <td>
                  <code>{v.path}</code>
                </td>
                <td>
                  <code>{v.volume}</code>
                </td>
                <td>
                  <a href={`#volume-backups-${v.name}`}>Backups of {v.name}</a>
                </td>
                <td>
                  <label className="check">
                    <input type="checkbox" checked={form.removeVolumes.includes(v.name)} onChange={(e) => toggle(v.name, e.target.checked)} /> Remove {v.name}
                  </label>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="fields">
        <TextSetting id="setting-addVolume" label="Add a volume" hint="NAME:/PATH, e.g. data:/var/lib/app (an existing name: mounted at the new path, same data)" wide value={form.addVolume} onChange={(addVolume) => set({ addVolume })} disabled={disabled} />
      </div>
    </fieldset>
  );
}
