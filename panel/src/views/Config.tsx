/**
 * Config keys of one layer, with the values that apply: an environment's resolved config (each
 * value with the layer it comes from, project base or this environment) and edits to its own
 * layer, or the project's base layer (`env` absent: `config set` without `-e`) that every
 * environment inherits unless it overrides a key. An environment's change rolls a new release of
 * it when it runs unless "roll a release now" is unticked (then it waits for the next one); a
 * base change reaches each environment at its next release. Below: the layer's history.
 *
 * A layer that sets the variables of an environment requiring approval (the environment itself,
 * or the base layer while it feeds one) is for admins and owners: for another role its edit
 * controls are disabled with a note. A role lowered since the page was read gets the API's
 * SLW_FORBIDDEN, shown with its code, and the view reads the role and the layer again.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { layerEditing } from '../access';
import { get, patch, path } from '../api';
import { href } from '../router';
import type { EnvironmentConfigChanged, ResolvedConfig } from '../types';
import { Badge, ErrorNote, Link, Loading, Table } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { useWorkspace } from '../ui/workspace';
import { ConfigHistory } from './ConfigHistory';

type Changed = Omit<EnvironmentConfigChanged, 'deployment'> & { deployment?: EnvironmentConfigChanged['deployment'] };

export function Config({ ws, project, env }: { ws: string; project: string; env?: string }) {
  const projectUrl = path('workspaces', ws, 'projects', project);
  const url = env ? `${path('workspaces', ws, 'projects', project, 'environments', env)}/config` : `${projectUrl}/config`;
  const own = env ? 'environment' : 'base';
  const where = env ?? 'the project base layer';
  const config = useLoad(() => get<ResolvedConfig>(url), url);
  const workspace = useWorkspace(ws);
  const editing = layerEditing(workspace.data?.role, config.data?.requiresApprovalIn, env);
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [restart, setRestart] = useState(true);
  const [result, setResult] = useState<Changed | null>(null);
  const [changes, setChanges] = useState(0);
  const action = useAction();
  const change = async (body: { set?: Record<string, string>; unset?: string[] }) => {
    const r = await action.run(() => patch<Changed>(url, body, env ? { restart: String(restart) } : undefined));
    if (!r) {
      // A role lowered (or an approval required) since the page was read: read both again, so the controls say so.
      workspace.reload();
      config.reload();
      return false;
    }
    setResult(r);
    config.reload();
    setChanges((n) => n + 1);
    return true;
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await change({ set: { [key.trim()]: value } })) {
      setKey('');
      setValue('');
    }
  };
  return (
    <>
      <ErrorNote error={config.error} />
      {!config.data && !config.error && <Loading what="config" />}
      {config.data && (
        <>
          <p className="muted">
            Config version {config.data.version}.{' '}
            {env ? (
              <>
                Values of the project's base layer apply to every environment unless this one overrides them: <Link to={href('w', ws, 'p', project, 'config')}>edit the base layer</Link>.
              </>
            ) : (
              'Every environment of the project gets these keys unless it overrides one; a change reaches each environment at its next release.'
            )}
          </p>
          {config.data.entries.length === 0 ? (
            <p className="muted">No config keys.</p>
          ) : (
            <Table caption={env ? `Config of ${env}` : `Base config of ${project}`} columns={['Key', 'Value', 'Layer', '']}>
              {config.data.entries.map((e) => (
                <tr key={e.key} data-key={e.key}>
                  <td>
                    <code>{e.key}</code>
                  </td>
                  <td className="value">{e.value}</td>
                  <td>
                    <Badge tone={e.layer === 'environment' ? 'info' : 'muted'}>{e.layer === 'environment' ? env : 'project base'}</Badge>
                  </td>
                  <td className="actions">
                    <button
                      type="button"
                      className="ghost"
                      disabled={!editing.allowed}
                      onClick={() => {
                        setKey(e.key);
                        setValue(e.value);
                        document.getElementById('config-value')?.focus();
                      }}
                    >
                      {e.layer === own ? 'Edit' : `Override in ${env}`}
                      <span className="sr-only"> {e.key}</span>
                    </button>
                    {e.layer === own && (
                      <button type="button" className="ghost danger" disabled={action.busy || !editing.allowed} onClick={() => void change({ unset: [e.key] })}>
                        Remove<span className="sr-only"> {e.key}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </>
      )}
      <form onSubmit={submit} className="card form" aria-labelledby="config-form-title">
        <h2 id="config-form-title">Set a key in {where}</h2>
        <LayerFieldset id="config-protected" editing={editing}>
          <div className="fields">
            <div>
              <label htmlFor="config-key">Key</label>
              <input id="config-key" value={key} onChange={(e) => setKey(e.target.value)} required spellCheck={false} placeholder="LOG_LEVEL" />
            </div>
            <div>
              <label htmlFor="config-value">Value</label>
              <input id="config-value" value={value} onChange={(e) => setValue(e.target.value)} spellCheck={false} />
            </div>
          </div>
          <RollNow env={env} restart={restart} setRestart={setRestart} base="No release rolls now: each environment gets the change at its next release (a deploy, a promotion, or a change of its own)." />
        </LayerFieldset>
        <ErrorNote error={action.error} />
        <button type="submit" disabled={action.busy || key.trim() === '' || !editing.allowed}>
          Save
        </button>
        <ChangeNote ws={ws} result={result} />
      </form>
      <ConfigHistory url={`${url}/history`} env={env} changes={changes} />
    </>
  );
}

/**
 * A layer's edit fields, disabled with the note saying why when the role may not change the layer
 * (an environment that requires approval, or the base layer feeding one).
 */
export function LayerFieldset({ id, editing, children }: { id: string; editing: { allowed: boolean; note: string | null }; children: ReactNode }) {
  return (
    <>
      {editing.note && (
        <p id={id} className="note small" data-protected-note="">
          {editing.note}
        </p>
      )}
      <fieldset className="bare" disabled={!editing.allowed} aria-describedby={editing.note ? id : undefined}>
        {children}
      </fieldset>
    </>
  );
}

/** On an environment, whether to roll a release now; on the base layer, `base` says none rolls. */
export function RollNow({ env, restart, setRestart, base }: { env: string | undefined; restart: boolean; setRestart: (on: boolean) => void; base: string }) {
  return env ? (
    <label className="check">
      <input type="checkbox" checked={restart} onChange={(e) => setRestart(e.target.checked)} /> Roll a new release now (if {env} runs)
    </label>
  ) : (
    <p className="muted small">{base}</p>
  );
}

export function ChangeNote({ ws, result }: { ws: string; result: { changed?: boolean; version: number; deployment?: { id: string; releaseNumber: number } | null } | null }) {
  if (!result) return null;
  return (
    <p role="status" className="note">
      {result.changed === false ? 'Nothing changed.' : `Saved as version ${result.version}.`}{' '}
      {result.deployment && (
        <>
          Release #{result.deployment.releaseNumber} is rolling out: <Link to={href('w', ws, 'deployments', result.deployment.id)}>watch the live log</Link>.
        </>
      )}
    </p>
  );
}
