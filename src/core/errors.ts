/**
 * The one error type Slipway raises on purpose, and the catalogue of its stable codes.
 *
 * Every code has an HTTP status (the single mapping table the API uses) and a one-line summary
 * (the source of `docs/errors.md`, which a test keeps in sync). Codes are stable: scripts may
 * match on them; messages may be reworded.
 *
 * @module
 */

/** Every stable error code, with the HTTP status the API answers and what it means. */
export const errorCatalog = {
  SLW_UNAUTHENTICATED: { status: 401, summary: 'No API token was sent, or it is not a Slipway token.' },
  SLW_TOKEN_EXPIRED: { status: 401, summary: 'The API token has passed its expiry; create a new one.' },
  SLW_TOKEN_REVOKED: { status: 401, summary: 'The API token was revoked; create a new one.' },
  SLW_FORBIDDEN: { status: 403, summary: "The token's role does not allow this action." },
  SLW_ROLE_TOO_HIGH: { status: 403, summary: 'A token or member role above your own role was requested.' },
  SLW_NOT_FOUND: { status: 404, summary: 'The object does not exist, or belongs to a workspace the token cannot see.' },
  SLW_ROUTE_NOT_FOUND: { status: 404, summary: 'No API route has this method and path.' },
  SLW_VALIDATION: { status: 400, summary: 'The request body, query or path failed validation (wrong type, unknown field, missing field).' },
  SLW_MALFORMED_JSON: { status: 400, summary: 'The request body is not valid JSON.' },
  SLW_INVALID_NAME: { status: 400, summary: 'A workspace, project or environment name is not a DNS label.' },
  SLW_UNKNOWN_TIER: { status: 400, summary: 'The tier is not one of low, mid, high, business.' },
  SLW_UNKNOWN_ROLE: { status: 400, summary: 'The role is not one of owner, admin, developer, viewer.' },
  SLW_INVALID_KEY: { status: 400, summary: 'A config or secret key is not an environment variable name.' },
  SLW_UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'The request body has the wrong content type (application/json, or application/octet-stream for uploads).' },
  SLW_PAYLOAD_TOO_LARGE: { status: 413, summary: 'The request body is larger than the server accepts.' },
  SLW_ALREADY_EXISTS: { status: 409, summary: 'An object with this name already exists.' },
  SLW_TIER_NO_CUSTOM_ENVIRONMENTS: { status: 409, summary: "The workspace's tier does not allow custom environments; only its default environments." },
  SLW_ENVIRONMENT_PROTECTED: { status: 409, summary: "A default environment of the workspace's tier cannot be deleted." },
  SLW_HAS_RELEASES: { status: 409, summary: 'The object has releases and cannot be deleted yet.' },
  SLW_LAST_OWNER: { status: 409, summary: 'The last owner of a workspace cannot be removed or demoted.' },
  SLW_WORKSPACE_TOKEN_SCOPE: { status: 403, summary: 'A workspace-scoped token was used for an instance-level action (such as creating a workspace).' },
  SLW_ARTIFACT_INVALID: { status: 400, summary: 'The uploaded artifact is not a JAR, a tar/tar.gz or zip archive the runtime can use (corrupt, empty, or missing what the runtime needs).' },
  SLW_ARTIFACT_UNSAFE_PATH: { status: 400, summary: "An archive entry has an absolute path, a '..' component, or a link that points out of the archive's root." },
  SLW_ARTIFACT_TOO_LARGE: { status: 413, summary: 'The artifact, or what it unpacks to (in total or per byte uploaded), is larger than the server accepts (SLIPWAY_MAX_ARTIFACT_BYTES, SLIPWAY_MAX_UNPACKED_BYTES, SLIPWAY_MAX_UNPACK_RATIO).' },
  SLW_RUNTIME_UNKNOWN: { status: 400, summary: 'The runtime is not one of java, static, node, or could not be detected; pass --runtime.' },
  SLW_BASE_IMAGE_UNAVAILABLE: { status: 424, summary: 'The base image could not be fetched (unknown reference, registry unreachable, or missing credentials).' },
  SLW_VERSION_EXISTS: { status: 409, summary: 'This version tag already names other content; versions are immutable, pick a new version.' },
  SLW_MANIFEST_INVALID: { status: 400, summary: 'slipway.yaml is not valid YAML or does not match the manifest schema; the message gives file:line:column for each problem.' },
  SLW_MANIFEST_UNREVIEWED: { status: 409, summary: "The environment requires approval, and the project's manifest (what its pipelines and release step run) was applied by someone other than an admin or owner and not reviewed since; an admin or owner reviews it (slipway pipeline review) or applies it." },
  SLW_MANIFEST_CHANGED: { status: 409, summary: 'The manifest was replaced since you read it; read it again (slipway pipeline show) and review that one.' },
  SLW_INVALID_SELECTOR: { status: 400, summary: 'A site selector is not a comma-separated list of key=value, key!=value, key or !key terms.' },
  SLW_INVALID_LABEL: { status: 400, summary: 'A site label is not key=value with a lowercase key (letters, digits, . and -, an optional prefix/) and a value of 1-128 letters, digits, . _ - +; or it is reserved (name, version, channel, policy), or there are more than 32.' },
  SLW_HAS_SITES: { status: 409, summary: 'The application still has sites; remove them first (slipway site remove).' },
  SLW_HERD_NO_SITES: { status: 409, summary: 'The site selector of a herd upgrade matches no site of the application.' },
  SLW_DOWNGRADE: { status: 409, summary: 'The upgrade would move sites to an older version; pass --allow-downgrade to do it on purpose.' },
  SLW_HERD_BUSY: { status: 409, summary: 'The application has a herd upgrade running or paused already: one upgrade at a time per application, and none of its sites is removed meanwhile.' },
  SLW_HERD_STATE: { status: 409, summary: 'The herd upgrade (or its site) is not in a state that allows this: e.g. resuming a running upgrade, approving a site that is not awaiting approval.' },
  SLW_IMAGE_NOT_FOUND: { status: 404, summary: 'No image with this version, tag or digest exists in the repository.' },
  SLW_IMAGE_REF_INVALID: { status: 400, summary: 'An image reference is not HOST/NAME[:TAG][@DIGEST].' },
  SLW_UPSTREAM_REGISTRY: { status: 502, summary: 'Another registry (base image, import source) answered with an error.' },
  SLW_INVALID_DOMAIN: { status: 400, summary: 'A domain is not a lowercase DNS name with at least two labels.' },
  SLW_NOTHING_DEPLOYED: { status: 409, summary: "The environment has no successful release to promote, roll back from, or restart, or to run a pipeline's $build jobs against (pass --image)." },
  SLW_APPROVAL_REFUSED: { status: 403, summary: 'This token may not approve or reject the promotion (not an admin or owner, or its own request while another approver exists).' },
  SLW_PROMOTION_STATE: { status: 409, summary: 'The promotion is no longer waiting for approval (already approved, rejected or finished).' },
  SLW_INVALID_GATE: { status: 400, summary: 'A gate setting is malformed (e.g. --gate health=30s,max-error-rate=5%,path=/healthz or --gate pipeline=NAME); nothing was changed.' },
  SLW_DEPLOY_IN_PROGRESS: { status: 409, summary: 'Another deploy of this environment is still running; wait for it (slipway logs) or let it finish.' },
  SLW_DOCKER_UNAVAILABLE: { status: 503, summary: 'The Docker engine does not answer; start dockerd.' },
  SLW_PROXY_UNAVAILABLE: { status: 503, summary: 'The edge proxy (Caddy) is not running or its admin API does not answer.' },
  SLW_PROMOTION_REQUIRED: { status: 409, summary: 'The environment accepts only images that ran successfully in its upstream environment (--require-promotion); deploy there first, then promote.' },
  SLW_TARGET_UNKNOWN: { status: 409, summary: 'The environment is placed on a target this server does not know; pick one of the targets it lists (slipway env set --target).' },
  SLW_INVALID_VOLUME: { status: 400, summary: "An environment volume is not NAME:/PATH with a name of 1-32 lowercase letters, digits and '-' and an absolute path that is not /, holds no '..' or ':' and is not a system path (/proc, /sys, /dev, /etc, /usr...); or two volumes share a path, or there are more than 8. Nothing was changed. Also: a job of slipway.yaml mounts a volume its environment does not declare (the job fails before it starts)." },
  SLW_VOLUMES_SPREAD: { status: 409, summary: 'An environment with volumes cannot be spread over several servers (--servers a,b or --server-label): a volume lives on one server. Remove its volumes or place it on one target.' },
  SLW_VOLUME_TRANSFER_UNSUPPORTED: { status: 409, summary: "The environment's target cannot read or write volume data (a server that deploys nothing, or a placement over several servers, which volumes never have): volume backups and restores are refused there; back the volume up on its server by hand." },
  SLW_VOLUME_UPLOAD_INVALID: { status: 400, summary: "An uploaded volume backup is not a tar or tar.gz Slipway restores: empty, not a tar, truncated or corrupt, or an entry with an absolute path, a '..' part, a device file, FIFO or sparse file, a hardlink out of the archive or an entry beneath a symlink. Nothing was stored." },
  SLW_VOLUME_IN_USE: { status: 409, summary: 'A volume of the environment being deleted with --drop-volumes is still mounted by a container; nothing was deleted. Try again once its containers are gone.' },
  SLW_INVALID_VALUE: { status: 400, summary: 'A config or secret value holds NUL or another control character (only tab, newline and carriage return are allowed): a container environment cannot carry it.' },
  SLW_DOMAIN_RESERVED: { status: 409, summary: "The domain lies in the reserved *.localhost space of default domains: another workspace's, or another environment's default domain." },
  SLW_TOO_MANY_STREAMS: { status: 429, summary: 'The API token already holds the most open event streams one token may (SLIPWAY_MAX_STREAMS_PER_TOKEN, default 20); close one first.' },
  SLW_REGISTRY_HOST_REFUSED: { status: 400, summary: 'The image reference, a redirect or a token realm points at a loopback, private, link-local or other internal address; an instance admin can allow a host or range with --allow-registry-host.' },
  SLW_SERVICE_KIND_UNKNOWN: { status: 400, summary: 'The service kind is not one of postgres, mysql, redis, rabbitmq, custom.' },
  SLW_SERVICE_URL_INVALID: { status: 400, summary: "The service's admin URL (--adopt), management URL or workload address is not valid for its kind." },
  SLW_SERVICE_HOST_REFUSED: { status: 400, summary: 'The service host is a loopback, private, link-local or other internal address; an instance admin can allow a host or range with --allow-service-host.' },
  SLW_SERVICE_UNREACHABLE: { status: 424, summary: 'The service does not answer at its address (wrong host or port, or it is down); nothing was changed.' },
  SLW_SERVICE_AUTH: { status: 424, summary: "The service refused the admin credentials, or they lack the rights Slipway needs (create databases and users); nothing was changed." },
  SLW_SERVICE_PROVISION_FAILED: { status: 424, summary: 'A provisioned service did not become ready (its image failed to start, its health check or the admin probe failed in time); what was made for it was removed.' },
  SLW_SERVICE_UNSUPPORTED: { status: 409, summary: 'The action does not apply to this service: a custom service has no per-attachment credentials to rotate and no data Slipway can back up or restore; an adopted service runs elsewhere, so Slipway cannot upgrade its image.' },
  SLW_SERVICE_BUSY: { status: 409, summary: 'An upgrade of this service is already running; wait until it ends (slipway service show NAME lists its upgrades).' },
  SLW_SERVICE_UPGRADE_FAILED: { status: 424, summary: 'The upgraded service did not become healthy on the new image; Slipway put the previous image back on the same volume (the message says whether it answers again) and kept the backups it took first.' },
  SLW_SERVICE_ATTACHED: { status: 409, summary: 'The service still has attachments; detach them first (slipway service detach).' },
  SLW_SERVICE_HAS_BACKUPS: { status: 409, summary: 'The service still has backups, which nothing could reach once it is gone; remove them first (slipway service backup-rm) or remove them with it (--drop-backups).' },
  SLW_ALREADY_ATTACHED: { status: 409, summary: 'The service is already attached to this environment under this prefix; use another --as PREFIX or rotate the credentials.' },
  SLW_SERVICE_CHANGED: { status: 409, summary: 'The attachment changed meanwhile (another rotate or detach ran at the same time); run the command again.' },
  SLW_VARIABLE_CLASH: { status: 409, summary: "An attachment's connection variable is already injected by another attachment of the environment; pick another --as PREFIX." },
  SLW_BACKUP_INVALID: { status: 409, summary: "The backup cannot be restored here: its file is missing, corrupt (checksum or signature mismatch), or belongs to another service, kind or Slipway instance, or to another attachment that is still attached; a backup whose attachment is gone is restored only with --from-detached (API: fromDetached); nothing was changed." },
  SLW_BACKUP_IN_USE: { status: 409, summary: 'The backup is kept for a herd upgrade that has not finished, a site whose revert failed, or a running service upgrade; remove it once that has ended.' },
  SLW_CONFIRM_REQUIRED: { status: 400, summary: 'A destructive action needs --confirm NAME with the name of the object it destroys.' },
  SLW_NUL_CHARACTER: { status: 400, summary: 'A path segment, query value or body string holds a NUL character (U+0000), which nothing Slipway stores may contain; remove it.' },
  SLW_MALFORMED_REQUEST: { status: 400, summary: 'The HTTP request itself is malformed (bad request line, header or framing); the connection is closed.' },
  SLW_HEADERS_TOO_LARGE: { status: 431, summary: "The request's headers are larger than the server accepts (16 KiB); send fewer or shorter headers." },
  SLW_REQUEST_TIMEOUT: { status: 408, summary: 'The request was not received in full within the time the server allows; send it again.' },
  SLW_JOIN_TOKEN_INVALID: { status: 401, summary: 'The join token is malformed, unknown, already used or expired; make a new one (slipway server token NAME) and join with it.' },
  SLW_CA_PIN_MISMATCH: { status: 400, summary: "The agent gateway's CA is not the one pinned in the join token: the token is for another Slipway instance, or something sits between the agent and the gateway; nothing was sent." },
  SLW_CSR_INVALID: { status: 400, summary: 'The certificate signing request is not a valid, self-signed ECDSA P-256 request.' },
  SLW_AGENT_CERT_INVALID: { status: 401, summary: "The agent's client certificate is missing, expired, or not issued by this instance's CA; join the server again with a new token." },
  SLW_SERVER_REVOKED: { status: 403, summary: 'The server was revoked: its agent is refused for good; remove the server and add it again to rejoin.' },
  SLW_SERVER_IN_USE: { status: 409, summary: 'The server still has environments or services placed on it; move them first (slipway env set --target).' },
  SLW_WEBHOOK_NOT_FOUND: { status: 404, summary: 'No webhook has this id (it never existed, or its project or hook was deleted); copy the URL again from slipway git hook.' },
  SLW_WEBHOOK_SIGNATURE: { status: 401, summary: "The delivery's signature or token does not match the hook's secret (or is missing); nothing was stored or deployed. Set the secret slipway git hook printed on the provider's webhook." },
  SLW_WEBHOOK_PAYLOAD: { status: 400, summary: "The delivery's body is not JSON of the provider's documented shape for its event; nothing was stored or deployed." },
  SLW_WEBHOOK_PROVIDER: { status: 409, summary: "The project's hook is for another provider; delete it first (slipway git hook --delete), then create one for the new provider." },
  SLW_WEBHOOK_NO_SOURCE: { status: 409, summary: "The hook builds pushed commits, but the project has no git source to build from; link one (slipway git link) or have the hook deploy the images CI pushes (slipway git hook --from image)." },
  SLW_NOTIFY_URL_INVALID: { status: 400, summary: "The application's notify URL is not an http:// or https:// URL without credentials or fragment (at most 2048 characters), or its host does not resolve; nothing was changed." },
  SLW_NOTIFY_HOST_REFUSED: { status: 400, summary: "The notify URL's host is (or resolves to) a loopback, private, link-local or other internal address; an instance admin can allow a host or range with --allow-webhook-host." },
  SLW_APP_HOOK_NOT_FOUND: { status: 404, summary: "No application's upstream hook has this id (it never existed, or its application or hook was deleted); print the URL again with slipway app hook." },
  SLW_APP_HOOK_SIGNATURE: { status: 401, summary: "The call's X-Slipway-Signature or bearer secret does not match the application hook's secret (or is missing); nothing was polled or stored." },
  SLW_DELIVERY_BUSY: { status: 409, summary: 'The delivery is being processed now; replay it once it has ended (slipway git deliveries).' },
  SLW_NO_MANIFEST: { status: 409, summary: "The project has no manifest (slipway.yaml) applied, or it has no such pipeline; apply one with 'slipway pipeline apply FILE'." },
  SLW_RUN_FAILED: { status: 409, summary: 'The pipeline run the command followed ended failed, timed-out or cancelled; its error names the job and its exit code.' },
  SLW_RUN_ENDED: { status: 409, summary: 'The pipeline run has already ended; there is nothing to cancel.' },
  SLW_INTERNAL: { status: 500, summary: 'An unexpected server error; the server log has the details.' },
  SLW_SERVER_UNREACHABLE: { status: 503, summary: 'The CLI could not reach the Slipway server.' },
  SLW_BAD_RESPONSE: { status: 502, summary: 'The CLI received an answer that is not a Slipway API response.' },
  SLW_USAGE: { status: 400, summary: 'The command line is incomplete or wrong (missing option, bad value).' },
  SLW_WAIT_TIMEOUT: { status: 504, summary: 'What the command waited for (such as a service health with --wait-health) did not happen within --timeout; nothing was changed: look at its state, or wait longer.' },
  SLW_DATA_DIR_LOCKED: { status: 409, summary: 'Another Slipway server already uses this data directory.' },
  SLW_SERVER_CONFIG: { status: 400, summary: 'A server option or SLIPWAY_* variable is invalid.' },
  SLW_MASTER_KEY_INVALID: { status: 500, summary: 'The master key file is missing, unreadable, or not 32 bytes.' },
  SLW_MASTER_KEY_MISMATCH: { status: 500, summary: "The master key does not match the one the database's secrets were encrypted with." },
  SLW_STARTING: { status: 503, summary: 'The server is still starting (its edge proxy, agent gateway and deploy engine are not ready yet) and refuses the API; nothing was done. Try again in a second or two (the CLI and the panel do so by themselves, for up to 30 s; /healthz says 200 once it is ready).' },
  SLW_STORE_UNAVAILABLE: { status: 503, summary: 'The database cannot be opened or reached.' },
  SLW_GIT_URL_INVALID: { status: 400, summary: 'The git URL is not an https:// (or http://) URL without credentials, or names a transport Slipway refuses (ext::, file:, ssh, options).' },
  SLW_GIT_HOST_REFUSED: { status: 400, summary: 'The git host is a loopback, private, link-local or other internal address; an instance admin can allow a host or range with --allow-git-host.' },
  SLW_GIT_NOT_LINKED: { status: 404, summary: 'The project has no git source; link one with slipway git link.' },
  SLW_GIT_AUTH_FAILED: { status: 424, summary: "The git server refused the project's credential (or asked for one and none is set)." },
  SLW_GIT_REF_NOT_FOUND: { status: 404, summary: 'The branch, tag or commit does not exist in the linked repository.' },
  SLW_GIT_UNREACHABLE: { status: 424, summary: 'The git server could not be reached or answered with an error.' },
  SLW_GIT_BUILD_FAILED: { status: 422, summary: "The commit's Dockerfile build failed (a step exited non-zero, or the Dockerfile is invalid); the build log says which step." },
} as const satisfies Record<string, { status: number; summary: string }>;

/** A stable error code. */
export type ErrorCode = keyof typeof errorCatalog;

const tag: unique symbol = Symbol.for('slipway.error');

/**
 * An expected failure with a stable code and a message that says what to do.
 *
 * Identity is symbol-based (see {@link isSlipwayError}) so that two copies of this module agree.
 *
 * @example
 * throw new SlipwayError('SLW_NOT_FOUND', "project 'shop' not found in workspace 'acme'");
 */
export class SlipwayError extends Error {
  readonly [tag] = true;
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SlipwayError';
    this.code = code;
  }

  /** The HTTP status from the catalogue. */
  get status(): number {
    return errorCatalog[this.code].status;
  }
}

/** True when `value` is a {@link SlipwayError}, even from another copy of this module. */
export function isSlipwayError(value: unknown): value is SlipwayError {
  return typeof value === 'object' && value !== null && (value as { [tag]?: unknown })[tag] === true;
}

/** Wraps anything thrown into a SlipwayError, keeping the original as `cause`. */
export function toSlipwayError(value: unknown): SlipwayError {
  if (isSlipwayError(value)) return value;
  return new SlipwayError('SLW_INTERNAL', 'internal error', { cause: value });
}

/**
 * Runs `work`; a SlipwayError it throws is thrown again with the same code and `suffix` after its
 * message (what the refusal means where it is met, e.g. `; so nothing was deployed`), the
 * original as its cause. Anything else goes through as it is.
 */
export async function withErrorSuffix<T>(suffix: string, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isSlipwayError(error)) throw error;
    throw new SlipwayError(error.code, `${error.message}${suffix}`, { cause: error });
  }
}

/** The standard "not found" error; the same for missing and foreign objects. */
export function notFound(kind: string, name: string, where?: string): SlipwayError {
  const suffix = where ? ` in ${where}` : '';
  return new SlipwayError('SLW_NOT_FOUND', `${kind} '${name}' not found${suffix}`);
}
