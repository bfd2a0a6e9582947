/**
 * The port a service kind implements for backups (adapters in `src/drivers/backup/`): a logical
 * dump of one attachment's data (PostgreSQL/MySQL database, Redis keys under the prefix,
 * RabbitMQ vhost definitions) written to a stream, and its restore from one.
 *
 * `backup` writes the dump to `out` (respecting backpressure) and leaves `out` open; the caller
 * ends it. `restore` replaces the resource's data by the dump read from `input`, atomically where
 * the kind allows (see each adapter), and changes nothing when the dump does not parse.
 * The caller has already checked the file's checksum and signature ({@link verifyBackupFile}).
 *
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import type { AdminConnection, DataServiceKind } from '../core/services.js';

export interface ServiceBackupDriver {
  readonly kind: DataServiceKind;
  backup(admin: AdminConnection, resource: string, out: Writable): Promise<void>;
  restore(admin: AdminConnection, resource: string, input: Readable): Promise<void>;
}

/** The backup drivers by kind (the server wires `src/drivers/backup/`); custom services have none. */
export type ServiceBackupDrivers = Record<DataServiceKind, ServiceBackupDriver>;
