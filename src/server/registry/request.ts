/**
 * A matched registry request, as the route handlers see it, and reading a bounded body.
 *
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RegistryAction } from '../../core/oci.js';
import { RegistryError } from '../../registry/errors.js';
import type { Registry } from '../../registry/registry.js';

/** What a matched registry request names. */
export interface RegistryRequest {
  request: FastifyRequest;
  reply: FastifyReply;
  registry: Registry;
  name: string;
  /** The path segment after the kind (a digest, tag or upload id), if any. */
  ref: string;
  query: URLSearchParams;
  /** Checks the caller holds `actions` on `repository` (default: this request's repository). */
  require(actions: RegistryAction[], repository?: string): Promise<void>;
}

/** Reads a whole request body up to `limit` bytes. */
export async function readBody(request: FastifyRequest, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RegistryError('SIZE_INVALID', `body is larger than ${limit} bytes`, undefined, 413);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
