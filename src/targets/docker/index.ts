/**
 * The Docker Engine client: {@link DockerEngine} and its types and errors.
 *
 * @module
 */
export { DockerEngine, type DockerEngineOptions, type EngineVersion } from './engine.js';
export { ContainerExistsError, DockerError, DockerUnavailableError } from './errors.js';
export type { ImageDetails } from './images.js';
export { registryAuthHeader, splitImageRef } from './image-ref.js';
export type * from './types.js';
