/**
 * An environment's attached services (variable names only), with rotate and detach, and a form
 * to attach one of the workspace's services. A detach is finished by the server's sweep once no
 * running release uses the credentials: the list reads again when the change stream says so
 * (and on every service change of this environment: an attach or a rotation made elsewhere).
 * Below the table, each attachment's backups (back up, restore). A custom service's attachment
 * has neither credentials to rotate nor backups. On an environment that requires approval,
 * attaching, rotating and detaching (each changes the variables it runs with) are for admins and
 * owners: for another role they are disabled with a note (the API's SLW_FORBIDDEN is shown for a
 * role lowered since the page was read, and the role is read again).
 */
import { useState } from 'react';
import { layerEditing } from '../access';
import { get, path, post } from '../api';
import type { AttachmentChange, AttachmentInfo, AttachmentList, EnvironmentSettingsView } from '../types';
import { ErrorNote, Loading, Table } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { useWorkspace } from '../ui/workspace';
import { isBackupChange, useServiceChanges } from '../ui/live';
import { AttachmentCells, RolledNote, type ChangeVerb } from './AttachmentBits';
import { AttachService } from './AttachService';
import { Backups } from './Backups';
import { DetachDialog } from './DetachDialog';

export function Attachments({ ws, project, env }: { ws: string; project: string; env: string }) {
  const url = `${path('workspaces', ws, 'projects', project, 'environments', env)}/attachments`;
  const list = useLoad(() => get<AttachmentList>(url), url);
  const settingsUrl = `${path('workspaces', ws, 'projects', project, 'environments', env)}/settings`;
  const settings = useLoad(() => get<EnvironmentSettingsView>(settingsUrl), settingsUrl);
  const workspace = useWorkspace(ws);
  const approval = settings.data ? (settings.data.gates?.requireApproval ?? settings.data.requireApproval) : undefined;
  const editing = layerEditing(workspace.data?.role, approval === undefined ? undefined : approval ? [env] : [], env);
  /** After a refusal: a role lowered (or an approval required) since the page was read shows in the controls. */
  const readAgain = () => {
    workspace.reload();
    settings.reload();
  };
  const [result, setResult] = useState<{ verb: ChangeVerb; change: AttachmentChange; dropData?: boolean } | null>(null);
  const [detaching, setDetaching] = useState<AttachmentInfo | null>(null);
  const rotate = useAction();
  const attachments = list.data?.attachments ?? [];
  useServiceChanges(list.reload, (c) => c.project === project && c.environment === env && !isBackupChange(c));
  const changed = (verb: ChangeVerb, change: AttachmentChange, dropData = false) => {
    setResult({ verb, change, dropData });
    list.reload();
  };
  const onRotate = async (a: AttachmentInfo) => {
    const r = await rotate.run(() => post<AttachmentChange>(`${url}/${encodeURIComponent(a.service)}/rotate`, a.as ? { as: a.as } : {}));
    if (r) changed('rotate', r);
    else readAgain();
  };
  return (
    <>
      <ErrorNote error={list.error} />
      {!list.data && !list.error && <Loading what="attached services" />}
      {editing.note && (
        <p className="note small" data-protected-note="">
          {editing.note}
        </p>
      )}
      {list.data && attachments.length === 0 && <p className="muted">No services attached to {env}.</p>}
      {attachments.length > 0 && (
        <Table caption={`Services attached to ${env} (variable values are never shown)`} columns={['Service', 'As', 'Resource', 'Credentials', 'State', 'Variables', '']}>
          {attachments.map((a) => {
            const label = `${a.service}${a.as ? ` as ${a.as}` : ''}`;
            return (
              <tr key={`${a.service}/${a.as ?? ''}`} data-attachment={label}>
                <td>
                  {a.service} <span className="muted small">{a.kind}</span>
                </td>
                <AttachmentCells attachment={a} />
                <td className="actions">
                  {a.state === 'attached' && (
                    <>
                      {a.kind !== 'custom' && (
                        <button type="button" className="ghost" disabled={rotate.busy || !editing.allowed} onClick={() => void onRotate(a)}>
                          Rotate<span className="sr-only"> {label}</span>
                        </button>
                      )}
                      <button type="button" className="ghost danger" disabled={!editing.allowed} onClick={() => setDetaching(a)}>
                        Detach<span className="sr-only"> {label}</span>
                      </button>
                    </>
                  )}
                </td>
              </tr>
            );
          })}
        </Table>
      )}
      <ErrorNote error={rotate.error} />
      {result && <RolledNote ws={ws} verb={result.verb} change={result.change} dropData={result.dropData} />}
      {detaching && (
        <DetachDialog
          url={url}
          attachment={detaching}
          onClose={() => setDetaching(null)}
          onDetached={(change, dropData) => {
            setDetaching(null);
            changed('detach', change, dropData);
          }}
        />
      )}
      {attachments
        .filter((a) => a.kind !== 'custom')
        .map((a) => (
          <Backups key={`${a.service}/${a.as ?? ''}`} ws={ws} url={url} attachment={a} />
        ))}
      {attachments.some((a) => a.kind === 'custom') && <p className="muted small">Custom services have no per-attachment credentials and no backups: back up their volume yourself.</p>}
      <AttachService ws={ws} env={env} url={url} allowed={editing.allowed} onAttached={(change) => changed('attach', change)} onRefused={readAgain} />
    </>
  );
}
