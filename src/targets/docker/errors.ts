/**
 * The errors of the Docker Engine client: {@link DockerError} for an answer the engine gave
 * (with its HTTP status and its own message), {@link ContainerExistsError} for a create whose
 * name is taken, and {@link DockerUnavailableError} when nothing answers on the socket.
 *
 * @module
 */
import { SlipwayError } from '../../core/errors.js';

/** The engine answered with an error status (or, for a pull, an error line in its stream). */
export class DockerError extends Error {
  override readonly name: string = 'DockerError';

  /**
   * @param statusCode the engine's HTTP status (a pull that fails mid-stream keeps the 200 it started with)
   * @param message the engine's own message, e.g. `No such container: web-1`
   * @param operation method and path without query, e.g. `POST /containers/create`
   */
  constructor(
    readonly statusCode: number,
    message: string,
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `createContainer` with a name another container already has (HTTP 409). */
export class ContainerExistsError extends DockerError {
  override readonly name: string = 'ContainerExistsError';

  constructor(
    readonly containerName: string,
    /** The id of the container holding the name, when the engine told it or it could be looked up. */
    readonly existingId: string | undefined,
    message: string,
  ) {
    super(409, message, 'POST /containers/create');
  }
}

/** No engine answers on the socket (missing, refused, or not permitted). */
export class DockerUnavailableError extends SlipwayError {
  constructor(
    readonly socketPath: string,
    reason: 'missing' | 'refused' | 'denied' | 'hung-up',
    options?: { cause?: unknown },
  ) {
    const message =
      reason === 'denied'
        ? `permission denied on ${socketPath}: run as root or add this user to the docker group`
        : reason === 'hung-up'
          ? `the Docker engine at ${socketPath} closed the connection: check that dockerd is still running`
          : `no Docker engine answers at ${socketPath}: start dockerd`;
    super('SLW_DOCKER_UNAVAILABLE', message, options);
    this.name = 'DockerUnavailableError';
  }
}
