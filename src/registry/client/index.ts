/**
 * The OCI distribution client for other registries (base images, imports). See `client.ts`.
 *
 * @module
 */
export { OciClient, defaultPlatform, type FetchedManifest, type OciClientOptions, type Platform } from './client.js';
export { dockerHub, formatImageReference, isLoopbackRegistry, parseImageReference, type ImageReference } from './reference.js';
export type { Credentials } from './auth.js';
export { EgressPolicy, parseAllowEntry } from './egress.js';
