/**
 * Named volumes and user-defined networks: existence, creation (networks; volumes with labels,
 * else the engine creates one without labels when a container mounts it), removal.
 *
 * @module
 */
import { pathSegment, type DockerTransport } from './transport.js';

/** True when the named volume exists. */
export async function volumeExists(t: DockerTransport, name: string): Promise<boolean> {
  const r = await t.call({ method: 'GET', path: `/volumes/${pathSegment(name)}` }, [404]);
  return r.status !== 404;
}

/** Creates a local volume with these labels unless one of this name exists (it keeps its own labels; Docker answers a create of an existing name with that volume). */
export async function ensureVolume(t: DockerTransport, name: string, labels: Record<string, string>): Promise<void> {
  if (await volumeExists(t, name)) return;
  await t.call({ method: 'POST', path: '/volumes/create', body: { Name: name, Driver: 'local', Labels: labels } });
}

/** A volume's labels, or null when there is none of this name. */
export async function volumeLabels(t: DockerTransport, name: string): Promise<Record<string, string> | null> {
  const r = await t.call<{ Labels?: Record<string, string> | null }>({ method: 'GET', path: `/volumes/${pathSegment(name)}` }, [404]);
  if (r.status === 404) return null;
  return r.body?.Labels ?? {};
}

/** Deletes a named volume and its data; a missing one is fine. A volume still mounted is a DockerError (409). */
export async function removeVolume(t: DockerTransport, name: string): Promise<void> {
  await t.call({ method: 'DELETE', path: `/volumes/${pathSegment(name)}` }, [404]);
}

/** Creates a bridge network with these labels unless one with this name exists. */
export async function ensureNetwork(t: DockerTransport, name: string, labels: Record<string, string>): Promise<void> {
  const r = await t.call({ method: 'GET', path: `/networks/${pathSegment(name)}` }, [404]);
  if (r.status !== 404) return;
  await t.call({ method: 'POST', path: '/networks/create', body: { Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: labels } }, [409]);
}

/** Attaches a container to a network; already attached is fine. */
export async function connectNetwork(t: DockerTransport, network: string, container: string): Promise<void> {
  // 403 "endpoint with name … already exists in network …" (engine 20.10), 409 on newer engines.
  await t.call({ method: 'POST', path: `/networks/${pathSegment(network)}/connect`, body: { Container: container } }, [403, 409]);
}

/** Deletes a network; a missing one is fine. One still in use is a DockerError (403/409). */
export async function removeNetwork(t: DockerTransport, name: string): Promise<void> {
  await t.call({ method: 'DELETE', path: `/networks/${pathSegment(name)}` }, [404]);
}
