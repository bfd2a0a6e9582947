/**
 * The edge: Caddy as Slipway's reverse proxy, driven through its admin API on a unix socket, and
 * supervised as a child process that outlives the control plane.
 *
 * @module
 */
export { CaddyAdmin, MAX_SOCKET_PATH_BYTES, assertSocketPath, type CaddyAdminOptions, type RouteObserver, type UpstreamStatus } from './caddy-admin.js';
export { CaddyAdminError } from './admin-http.js';
export { CaddySupervisor, adminSocketOf, type CaddySupervisorOptions, type SupervisorEvent } from './caddy-supervisor.js';
export { reloadSafetyWarning, tcpMigrateReq } from './kernel.js';
export { assertUpstreamAddress, upstreamProblem } from './addresses.js';
export { DEFAULT_ROUTE_ID, NO_ROUTE_BODY, SERVER_NAME, buildInitialConfig, type Json, type RouteSpec } from './caddy-config.js';
export type { LogStream } from './caddy-process.js';
export { HTTP_SERVER_NAME, PRIVATE_SUFFIXES, certificateSource, isPrivateName, type AcmeSettings, type CertificateSource, type HttpsSpec } from './https-config.js';
export { CertificateWatch, presentedCertificate, type CertificateState } from './certificates.js';
export { AccessCounter, PROBE_USER_AGENT, buildServerLogs } from './access-log.js';
