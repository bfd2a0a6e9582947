/**
 * Files of a container's filesystem as tar archives (`GET`/`PUT /containers/{id}/archive`): both
 * work on a container that was created and never started, so a volume's files can be read and
 * written through the engine without running anything in it.
 *
 * @module
 */
import { pathSegment, type DockerTransport } from './transport.js';

/** The contents of the directory `path` (its entries as `./…`), owners and modes kept. */
export function readArchive(t: DockerTransport, container: string, path: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const dir = `${path.replace(/\/+$/, '')}/.`;
  return t.stream({ method: 'GET', path: `/containers/${pathSegment(container)}/archive`, query: { path: dir }, ...(signal ? { signal } : {}) }, async function* (body) {
    for await (const chunk of body) yield chunk;
  });
}

/** Unpacks a tar into the directory `path`, keeping the owners the archive records (`copyUIDGID`). */
export async function writeArchive(t: DockerTransport, container: string, path: string, tar: AsyncIterable<Uint8Array>): Promise<void> {
  await t.upload({ method: 'PUT', path: `/containers/${pathSegment(container)}/archive`, query: { path, copyUIDGID: 1 } }, tar, 'application/x-tar');
}
