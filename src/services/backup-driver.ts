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
 * A dump may be loaded into another attachment's resource than the one it was taken of (a
 * backup whose attachment is gone, restored into the environment's new attachment; a herd
 * clone's copy of its site): `from` names the resource it was taken of, and each adapter moves
 * what the dump binds to that name to `resource` (Redis keys re-keyed to the new prefix,
 * RabbitMQ items to the new vhost, MySQL qualified names and DEFINERs; PostgreSQL dumps hold
 * neither owners nor privileges, and the restore runs as the new resource's role, which owns
 * everything it creates).
 *
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import type { AdminConnection, DataServiceKind } from '../core/services.js';

/** Where a dump loaded into another resource was taken. */
export interface RestoreSource {
  /** The resource (database, key prefix, vhost) the dump was taken of. */
  resource: string;
  /** The account that is to define what the dump defines in its owner's name (MySQL: the DEFINER of views and triggers): the target attachment's current user. */
  definer: string;
}

export interface ServiceBackupDriver {
  readonly kind: DataServiceKind;
  backup(admin: AdminConnection, resource: string, out: Writable): Promise<void>;
  /** Replaces `resource`'s data by the dump; `from`: the dump was taken of another resource (see the module note). */
  restore(admin: AdminConnection, resource: string, input: Readable, from?: RestoreSource): Promise<void>;
}

/** The backup drivers by kind (the server wires `src/drivers/backup/`); custom services have none. */
export type ServiceBackupDrivers = Record<DataServiceKind, ServiceBackupDriver>;
