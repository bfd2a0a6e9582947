/**
 * An application's notifications in its view: where they are POSTed (the notify URL, its secret
 * shown once when Slipway makes it, or one of your own, write-only, as `--notify-secret-stdin`),
 * the upstream hook its registry calls on a push (URL, secret
 * once), and the notifications themselves, newest first, with what became of each webhook.
 */
import { useState } from 'react';
import { del, get, patch, path, put } from '../api';
import { ago } from '../format';
import type { AppHookAnswer, AppHookStatus, Notification, NotificationList, UpdateApplicationAnswer } from '../types';
import { Badge, ErrorNote, Table } from '../ui/bits';
import { useAction, useLoad } from '../ui/hooks';
import { ShowMore, useShowMore } from '../ui/more';

const tone = (state: Notification['webhook']['state']) => (state === 'sent' ? 'ok' : state === 'failed' ? 'bad' : state === 'pending' ? 'info' : 'muted');

export function AppNotifications({ ws, app, upstream, notifyUrl, onChanged }: { ws: string; app: string; upstream: boolean; notifyUrl: string | null; onChanged: () => void }) {
  const base = path('workspaces', ws, 'applications', app);
  const more = useShowMore(50, 500, base);
  const list = useLoad(() => get<NotificationList>(`${base}/notifications`, { limit: more.limit }), `${base}/notifications?limit=${more.limit}`, `${base}/notifications`);
  const hook = useLoad(() => (upstream ? get<AppHookStatus>(`${base}/hook`) : Promise.resolve(null)), `${base}/hook/${upstream}`);
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const [own, setOwn] = useState('');
  const [ownSet, setOwnSet] = useState(false);
  const [hookMade, setHookMade] = useState<AppHookAnswer | null>(null);
  const action = useAction();
  const change = async (body: Record<string, unknown>) => {
    const r = await action.run(() => patch<UpdateApplicationAnswer>(base, body));
    setOwn('');
    if (!r) return;
    setSecret(r.notifySecret);
    setOwnSet(typeof body.notifySecret === 'string');
    setUrl('');
    onChanged();
    list.reload();
  };
  const makeHook = async (rotate: boolean) => {
    const r = await action.run(() => put<AppHookAnswer>(`${base}/hook`, rotate ? { rotate: true } : {}));
    if (r) {
      setHookMade(r);
      hook.reload();
    }
  };
  const removeHook = async () => {
    if (await action.run(() => del(`${base}/hook`))) {
      setHookMade(null);
      hook.reload();
    }
  };
  const h = hook.data?.hook;
  return (
    <section className="card" aria-labelledby="notify-title" data-app-notifications>
      <div className="heading-row">
        <h2 id="notify-title">Notifications</h2>
        <button
          type="button"
          className="ghost"
          onClick={() => {
            list.reload();
            hook.reload();
            onChanged();
          }}
        >
          Refresh
        </button>
      </div>
      <p className="muted">New versions (with the sites on older ones), halted or finished upgrades and sites awaiting approval. With a notify URL, each is POSTed there as JSON, signed with X-Slipway-Signature.</p>
      <p>
        Notify URL: {notifyUrl ? <code data-notify-url>{notifyUrl}</code> : <span className="muted">none (notifications are kept here, not sent)</span>}
      </p>
      <form
        className="actions"
        onSubmit={(e) => {
          e.preventDefault();
          void change({ ...(url.trim() ? { notifyUrl: url.trim() } : {}), ...(own ? { notifySecret: own } : {}) });
        }}
      >
        <label htmlFor="notify-url">New notify URL</label>
        <input id="notify-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://hooks.example.com/slipway" spellCheck={false} />
        <label htmlFor="notify-own-secret">Your own signing secret (optional, write-only, 16 characters or more)</label>
        <input id="notify-own-secret" type="password" autoComplete="new-password" value={own} onChange={(e) => setOwn(e.target.value)} />
        <button type="submit" disabled={action.busy || (url.trim() === '' && own === '')}>
          {url.trim() === '' && own !== '' ? 'Set notify secret' : 'Set notify URL'}
        </button>
        {notifyUrl && (
          <>
            <button type="button" className="ghost" disabled={action.busy} onClick={() => void change({ rotateNotifySecret: true })}>
              Rotate notify secret
            </button>
            <button type="button" className="ghost danger" disabled={action.busy} onClick={() => void change({ notifyUrl: null })}>
              Stop sending
            </button>
          </>
        )}
      </form>
      {ownSet && !secret && (
        <p role="status" data-notify-own-secret>
          Notifications are signed with your secret from now on (Slipway never shows it).
        </p>
      )}
      {secret && (
        <p role="status" data-notify-secret>
          Notify secret (shown once — check X-Slipway-Signature with it): <code>{secret}</code>
        </p>
      )}
      {upstream && (
        <div data-app-hook>
          <h3>Upstream hook</h3>
          {h && hook.data ? (
            <>
              <p>
                <code data-app-hook-url>{hook.data.url}</code>
              </p>
              <p className="muted">
                The registry calls it when a tag is pushed (Authorization: Bearer &lt;secret&gt;, or X-Slipway-Signature): Slipway polls at once. {h.calls} call(s){h.lastCalledAt ? `, last ${ago(h.lastCalledAt)}` : ''}.
                {h.failedVerifications > 0 && ` ${h.failedVerifications} refused for a bad secret (last ${ago(h.lastFailedAt)}).`}
              </p>
              <div className="actions">
                <button type="button" className="ghost" disabled={action.busy} onClick={() => void makeHook(true)}>
                  Rotate hook secret
                </button>
                <button type="button" className="ghost danger" disabled={action.busy} onClick={() => void removeHook()}>
                  Delete hook
                </button>
              </div>
            </>
          ) : (
            <div className="actions">
              <button type="button" disabled={action.busy || hook.data === undefined} onClick={() => void makeHook(false)}>
                Create upstream hook
              </button>
            </div>
          )}
          {hookMade?.secret && (
            <p role="status" data-app-hook-secret>
              Hook secret (shown once — give it to the registry now): <code>{hookMade.secret}</code>
            </p>
          )}
        </div>
      )}
      <ErrorNote error={action.error ?? list.error ?? hook.error} />
      {list.data && list.data.notifications.length === 0 && <p className="muted">No notifications yet.</p>}
      {list.data && list.data.notifications.length > 0 && (
        <Table caption={`Notifications of ${app}, newest first`} columns={['When', 'Kind', 'Message', 'Webhook']}>
          {list.data.notifications.map((n) => (
            <tr key={n.id} data-notification={n.id}>
              <td>{ago(n.createdAt)}</td>
              <td>
                <Badge tone="info">{n.kind}</Badge>
              </td>
              <td>{n.message}</td>
              <td>
                {n.webhook.state === null ? (
                  <span className="muted">not sent</span>
                ) : (
                  <>
                    <Badge tone={tone(n.webhook.state)}>{n.webhook.state}</Badge>
                    {n.webhook.error && <span className="muted small"> {n.webhook.error}</span>}
                  </>
                )}
              </td>
            </tr>
          ))}
        </Table>
      )}
      <ShowMore more={more} shown={list.data?.notifications.length} what="notifications" loading={list.loading} />
    </section>
  );
}
