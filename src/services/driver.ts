/**
 * The port a service kind implements (adapters in `src/drivers/`): what Slipway does on a
 * PostgreSQL, MySQL/MariaDB, Redis or RabbitMQ server with its admin credentials, and nothing
 * more. Every operation is idempotent, so a failure midway can be retried or undone.
 *
 * Names passed in are always Slipway's own (`slw_<10 chars>[_<generation>]`,
 * {@link isSlipwayName}); a driver refuses any other name before it reaches the server.
 *
 * @module
 */
import type { AdminConnection, ServiceKind } from '../core/services.js';

export type { AdminConnection };

export interface ServiceDriver {
  readonly kind: ServiceKind;
  /** Connects with the admin credentials and returns the server's version; throws SLW_SERVICE_UNREACHABLE or SLW_SERVICE_AUTH. */
  probe(admin: AdminConnection): Promise<{ version: string }>;
  /** Creates the database / vhost (Redis: nothing to create) if it does not exist. */
  createResource(admin: AdminConnection, resource: string): Promise<void>;
  /** Creates `user` (or resets its password) with full rights on `resource` and nothing else. */
  grantUser(admin: AdminConnection, resource: string, user: string, password: string): Promise<void>;
  /** Removes `user`: no new logins, its open sessions ended, the user dropped. Absent is fine. */
  revokeUser(admin: AdminConnection, resource: string, user: string): Promise<void>;
  /** Drops the database / vhost / every key under the prefix. Absent is fine. */
  dropResource(admin: AdminConnection, resource: string): Promise<void>;
}

/** The drivers by kind (the server wires `src/drivers/`). */
export type ServiceDrivers = Record<ServiceKind, ServiceDriver>;
