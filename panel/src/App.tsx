/**
 * The panel's shell: sign-in when no token is held, else the header (where you are, live-update
 * state, who you are and the token in use, sign out) and the view the path names.
 */
import { lazy, Suspense, useState } from 'react';
import { get } from './api';
import { parseRoute, useLocation, navigate, href, type Route } from './router';
import { clearToken, readToken } from './session';
import type { Whoami } from './types';
import { ErrorNote, Link, Loading } from './ui/bits';
import { useLoad } from './ui/hooks';
import { LiveProvider, useLiveState } from './ui/live';
import { SignIn } from './views/SignIn';
import { Workspaces } from './views/Workspaces';
import { WorkspaceHome } from './views/WorkspaceHome';
import { Pipeline } from './views/Pipeline';
import { Environment } from './views/Environment';
import { DeployLog } from './views/DeployLog';
import { AdminsOnly } from './views/AdminsOnly';
import { WhoAmI } from './views/WhoAmI';

// The views a first visit rarely needs load when first opened (their own chunks), so the first page loads less.
const Images = lazy(() => import('./views/Images').then((m) => ({ default: m.Images })));
const ProjectConfig = lazy(() => import('./views/ProjectConfig').then((m) => ({ default: m.ProjectConfig })));
const Pipelines = lazy(() => import('./views/Pipelines').then((m) => ({ default: m.Pipelines })));
const PromotionDetail = lazy(() => import('./views/PromotionDetail').then((m) => ({ default: m.PromotionDetail })));
const RunLog = lazy(() => import('./views/RunLog').then((m) => ({ default: m.RunLog })));
const Audit = lazy(() => import('./views/Audit').then((m) => ({ default: m.Audit })));
const Services = lazy(() => import('./views/Services').then((m) => ({ default: m.Services })));
const Registries = lazy(() => import('./views/Registries').then((m) => ({ default: m.Registries })));
const Applications = lazy(() => import('./views/Applications').then((m) => ({ default: m.Applications })));
const Application = lazy(() => import('./views/Application').then((m) => ({ default: m.Application })));
const HerdUpgrade = lazy(() => import('./views/HerdUpgrade').then((m) => ({ default: m.HerdUpgrade })));
const Service = lazy(() => import('./views/Service').then((m) => ({ default: m.Service })));
const Servers = lazy(() => import('./views/Servers').then((m) => ({ default: m.Servers })));
const Server = lazy(() => import('./views/Server').then((m) => ({ default: m.Server })));
const WorkspaceServers = lazy(() => import('./views/WorkspaceServers').then((m) => ({ default: m.WorkspaceServers })));
const Instance = lazy(() => import('./views/Instance').then((m) => ({ default: m.Instance })));
const Members = lazy(() => import('./views/Members').then((m) => ({ default: m.Members })));

/** Servers and the Instance page belong to the instance: only an instance admin's instance token may see them (as the API decides). */
const isInstanceAdmin = (me: Whoami | undefined) => me?.user.instanceAdmin === true && me.token.scope === 'instance';

export function App() {
  const [token, setToken] = useState(readToken());
  const pathname = useLocation();
  if (!token) return <SignIn onSignedIn={() => setToken(readToken())} />;
  return (
    <Shell
      route={parseRoute(pathname)}
      onSignOut={() => {
        clearToken();
        setToken(null);
        navigate('/');
      }}
    />
  );
}

function Shell({ route, onSignOut }: { route: Route; onSignOut(): void }) {
  const me = useLoad(() => get<Whoami>('whoami'), 'whoami');
  if (me.error?.status === 401) {
    return <SignIn onSignedIn={() => location.reload()} error={me.error} />;
  }
  const ws = 'ws' in route ? route.ws : null;
  const admin = isInstanceAdmin(me.data);
  const page = (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          Slipway
        </Link>
        <Crumbs route={route} />
        <div className="who">
          {admin && (
            <>
              <Link to={href('servers')} className="nav-link">
                Servers
              </Link>
              <Link to={href('instance')} className="nav-link">
                Instance
              </Link>
            </>
          )}
          {ws && <LiveDot />}
          {me.data && <WhoAmI me={me.data} />}
          <button type="button" className="ghost" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorNote error={me.error} />
        {me.loading && !me.data ? <Loading what="your account" /> : (
          <Suspense fallback={<Loading what="the page" />}>
            <View route={route} admin={admin} tokenId={me.data?.token.id} />
          </Suspense>
        )}
      </main>
    </div>
  );
  return ws ? (
    <LiveProvider ws={ws} key={ws}>
      {page}
    </LiveProvider>
  ) : (
    page
  );
}

function View({ route, admin, tokenId }: { route: Route; admin: boolean; tokenId: string | undefined }) {
  switch (route.view) {
    case 'servers':
      return admin ? <Servers /> : <AdminsOnly />;
    case 'server':
      return admin ? <Server name={route.server} /> : <AdminsOnly />;
    case 'ws-servers':
      return <WorkspaceServers ws={route.ws} />;
    case 'ws-server':
      return <WorkspaceServers ws={route.ws} server={route.server} />;
    case 'instance':
      // Not gated here: a token that may not manage the instance gets the API's own refusal.
      return <Instance admin={admin} tokenId={tokenId} />;
    case 'workspaces':
      return <Workspaces admin={admin} />;
    case 'workspace':
      return <WorkspaceHome ws={route.ws} />;
    case 'audit':
      return <Audit ws={route.ws} />;
    case 'members':
      return <Members ws={route.ws} instanceAdmin={admin} tokenId={tokenId} />;
    case 'services':
      return <Services ws={route.ws} />;
    case 'registries':
      return <Registries ws={route.ws} />;
    case 'service':
      return <Service ws={route.ws} name={route.service} />;
    case 'applications':
      return <Applications ws={route.ws} />;
    case 'application':
      return <Application ws={route.ws} app={route.app} />;
    case 'upgrade':
      return <HerdUpgrade ws={route.ws} app={route.app} id={route.id} />;
    case 'pipeline':
      return <Pipeline ws={route.ws} project={route.project} />;
    case 'images':
      return <Images ws={route.ws} project={route.project} />;
    case 'project-config':
      return <ProjectConfig ws={route.ws} project={route.project} />;
    case 'pipelines':
      return <Pipelines ws={route.ws} project={route.project} />;
    case 'run':
      return <RunLog ws={route.ws} id={route.id} />;
    case 'promotion':
      return <PromotionDetail ws={route.ws} id={route.id} />;
    case 'environment':
      return <Environment ws={route.ws} project={route.project} env={route.env} tab={route.tab} />;
    case 'deployment':
      return <DeployLog ws={route.ws} id={route.id} />;
    case 'not-found':
      return (
        <section>
          <h1>Not found</h1>
          <p>
            The panel has no page at <code>{route.path}</code>. <Link to="/">Go to your workspaces</Link>.
          </p>
        </section>
      );
  }
}

function Crumbs({ route }: { route: Route }) {
  const items: { label: string; to: string }[] = [];
  if (route.view === 'servers' || route.view === 'server') items.push({ label: 'servers', to: href('servers') });
  if (route.view === 'server') items.push({ label: route.server, to: href('servers', route.server) });
  if (route.view === 'instance') items.push({ label: 'instance', to: href('instance') });
  if ('ws' in route) items.push({ label: route.ws, to: href('w', route.ws) });
  if ('project' in route) items.push({ label: route.project, to: href('w', route.ws, 'p', route.project) });
  if (route.view === 'environment') items.push({ label: route.env, to: href('w', route.ws, 'p', route.project, 'e', route.env) });
  if (route.view === 'project-config') items.push({ label: 'base config', to: href('w', route.ws, 'p', route.project, 'config') });
  if (route.view === 'images') items.push({ label: 'images', to: href('w', route.ws, 'p', route.project, 'images') });
  if (route.view === 'pipelines') items.push({ label: 'pipelines', to: href('w', route.ws, 'p', route.project, 'pipelines') });
  if (route.view === 'promotion') items.push({ label: `request ${route.id}`, to: href('w', route.ws, 'promotions', route.id) });
  if (route.view === 'run') items.push({ label: `run ${route.id}`, to: href('w', route.ws, 'runs', route.id) });
  if (route.view === 'registries') items.push({ label: 'registry credentials', to: href('w', route.ws, 'registries') });
  if (route.view === 'audit') items.push({ label: 'audit log', to: href('w', route.ws, 'audit') });
  if (route.view === 'ws-servers' || route.view === 'ws-server') items.push({ label: 'dedicated servers', to: href('w', route.ws, 'servers') });
  if (route.view === 'ws-server') items.push({ label: route.server, to: href('w', route.ws, 'servers', route.server) });
  if (route.view === 'members') items.push({ label: 'members & tokens', to: href('w', route.ws, 'members') });
  if (route.view === 'services' || route.view === 'service') items.push({ label: 'services', to: href('w', route.ws, 'services') });
  if (route.view === 'service') items.push({ label: route.service, to: href('w', route.ws, 'services', route.service) });
  if (route.view === 'applications' || route.view === 'application' || route.view === 'upgrade') items.push({ label: 'applications', to: href('w', route.ws, 'apps') });
  if (route.view === 'application' || route.view === 'upgrade') items.push({ label: route.app, to: href('w', route.ws, 'apps', route.app) });
  if (route.view === 'upgrade') items.push({ label: `upgrade ${route.id}`, to: href('w', route.ws, 'apps', route.app, 'upgrades', route.id) });
  if (route.view === 'deployment') items.push({ label: `deployment ${route.id}`, to: href('w', route.ws, 'deployments', route.id) });
  return (
    <nav aria-label="Breadcrumb" className="crumbs">
      <ol>
        <li>
          <Link to="/">Workspaces</Link>
        </li>
        {items.map((item, i) => (
          <li key={item.to}>
            {i === items.length - 1 ? (
              <span aria-current="page">{item.label}</span>
            ) : (
              <Link to={item.to}>{item.label}</Link>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}

function LiveDot() {
  const state = useLiveState();
  const label = state === 'open' ? 'live' : state === 'ended' ? 'offline' : state === 'connecting' ? 'connecting' : 'reconnecting';
  return (
    <span className={`live live-${state}`} role="status" aria-live="polite" title="live updates from the server">
      {label}
    </span>
  );
}
