/**
 * Container lifecycle: create (environment in the JSON body only; a taken name is a
 * {@link ContainerExistsError}), start, stop, remove, wait, inspect and list by labels.
 *
 * @module
 */
import { ContainerExistsError, DockerError } from './errors.js';
import { pathSegment, type DockerTransport } from './transport.js';
import type { ContainerDetails, ContainerSpec, ContainerSummary } from './types.js';
import { createBody, fromInspect, fromSummary, type WireInspect, type WireSummary } from './wire.js';

/** Creates container `name` from `spec`; returns its id. */
export async function createContainer(t: DockerTransport, name: string, spec: ContainerSpec): Promise<string> {
  try {
    const r = await t.call<{ Id: string }>({ method: 'POST', path: '/containers/create', query: { name }, body: createBody(spec) });
    if (!r.body?.Id) throw new DockerError(r.status, 'the engine created a container but sent no id', 'POST /containers/create');
    return r.body.Id;
  } catch (error) {
    if (!(error instanceof DockerError) || error.statusCode !== 409) throw error;
    // "Conflict. The container name "/x" is already in use by container "<id>". You have to …"
    const id = /by container "([0-9a-f]{12,64})"/.exec(error.message)?.[1] ?? (await inspectContainer(t, name).catch(() => null))?.id;
    throw new ContainerExistsError(name, id, `a container named '${name}' already exists${id ? ` (${id.slice(0, 12)})` : ''}: remove it or pick another name`);
  }
}

/** Starts it; already running is fine. */
export async function startContainer(t: DockerTransport, id: string): Promise<void> {
  await t.call({ method: 'POST', path: `/containers/${pathSegment(id)}/start` }, [304]);
}

/** Stops it (SIGTERM, then SIGKILL after `timeoutSeconds`); already stopped is fine. */
export async function stopContainer(t: DockerTransport, id: string, timeoutSeconds: number): Promise<void> {
  await t.call({ method: 'POST', path: `/containers/${pathSegment(id)}/stop`, query: { t: Math.max(0, Math.round(timeoutSeconds)) } }, [304]);
}

/** How long a removal waits for another one of the same container, already under way, to end. */
const removalWaitMs = 30_000;

/**
 * Removes it (with `force`, also when running); already gone is fine. When another removal of it
 * is under way (the engine refuses a second one with 409 "removal … is already in progress" —
 * e.g. a cancelled job's runner and an environment's deletion at once), waits until it is gone,
 * so a removal that returns has removed it either way.
 */
export async function removeContainer(t: DockerTransport, id: string, options: { force?: boolean } = {}): Promise<void> {
  try {
    await t.call({ method: 'DELETE', path: `/containers/${pathSegment(id)}`, query: { force: options.force ?? false, v: true } }, [404]);
  } catch (error) {
    if (!(error instanceof DockerError) || error.statusCode !== 409 || !/already in progress/i.test(error.message)) throw error;
    // Polled every 100 ms: a removal takes a stop's grace at most; bounded by removalWaitMs.
    for (const until = Date.now() + removalWaitMs; Date.now() < until; ) {
      if ((await inspectContainer(t, id)) === null) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw error;
  }
}

/** Waits until it is no longer running; resolves with its exit code. */
export async function waitContainer(t: DockerTransport, id: string, signal?: AbortSignal): Promise<number> {
  const r = await t.call<{ StatusCode: number; Error?: { Message?: string } | null }>({ method: 'POST', path: `/containers/${pathSegment(id)}/wait`, query: { condition: 'not-running' }, ...(signal ? { signal } : {}) });
  if (r.body?.Error?.Message) throw new DockerError(r.status, r.body.Error.Message, 'POST /containers/{id}/wait');
  return r.body?.StatusCode ?? -1;
}

/** The container by id or name; null when there is none. */
export async function inspectContainer(t: DockerTransport, idOrName: string): Promise<ContainerDetails | null> {
  const r = await t.call<WireInspect>({ method: 'GET', path: `/containers/${pathSegment(idOrName)}/json` }, [404]);
  return r.status === 404 || !r.body ? null : fromInspect(r.body);
}

/** Containers carrying every one of `labels` (running only, unless `all`). */
export async function listContainers(t: DockerTransport, options: { labels: Record<string, string>; all: boolean }): Promise<ContainerSummary[]> {
  const filters = JSON.stringify({ label: Object.entries(options.labels).map(([k, v]) => `${k}=${v}`) });
  const r = await t.call<WireSummary[]>({ method: 'GET', path: '/containers/json', query: { all: options.all, filters } });
  return (r.body ?? []).map(fromSummary);
}
