/**
 * Registry protocol errors raised inside API operations (build, import) become Slipway errors
 * with stable codes, so the API never answers them as internal errors.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { RegistryError } from '../registry/errors.js';

export function apiErrorOf(error: unknown): unknown {
  if (!(error instanceof RegistryError)) return error;
  if (error.code === 'TAG_IMMUTABLE') return new SlipwayError('SLW_VERSION_EXISTS', `${error.message}`);
  if (error.code === 'MANIFEST_INVALID' || error.code === 'MANIFEST_BLOB_UNKNOWN' || error.code === 'DIGEST_INVALID' || error.code === 'SIZE_INVALID') {
    return new SlipwayError('SLW_UPSTREAM_REGISTRY', `the image could not be stored: ${error.message}`);
  }
  return new SlipwayError('SLW_UPSTREAM_REGISTRY', error.message);
}

/** Runs `fn`, translating registry errors. */
export async function withApiErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw apiErrorOf(error);
  }
}
