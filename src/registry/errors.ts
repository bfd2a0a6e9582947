/**
 * Errors of the registry protocol: OCI error codes with their HTTP status, sent as
 * `{"errors":[{"code","message","detail"}]}` (the distribution spec's format, not Slipway's API
 * format, because registry clients parse this one).
 *
 * @module
 */

export const ociErrorStatus = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 415,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  TAG_IMMUTABLE: 409,
} as const;

export type OciErrorCode = keyof typeof ociErrorStatus;

export class RegistryError extends Error {
  constructor(
    readonly code: OciErrorCode,
    message: string,
    readonly detail?: unknown,
    readonly status: number = ociErrorStatus[code],
  ) {
    super(message);
    this.name = 'RegistryError';
  }

  body(): { errors: { code: string; message: string; detail?: unknown }[] } {
    const code = this.code === 'RANGE_INVALID' ? 'BLOB_UPLOAD_INVALID' : this.code === 'TAG_IMMUTABLE' ? 'DENIED' : this.code;
    return { errors: [{ code, message: this.message, ...(this.detail === undefined ? {} : { detail: this.detail }) }] };
  }
}
