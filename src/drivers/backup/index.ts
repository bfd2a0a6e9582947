/**
 * The backup drivers by kind ({@link ServiceBackupDrivers}): logical dumps of one attachment's
 * data, made and restored from the control plane.
 *
 * @module
 */
import type { ServiceBackupDrivers } from '../../services/backup-driver.js';
import { mysqlBackupDriver } from './mysql.js';
import { postgresBackupDriver } from './postgres.js';
import { rabbitmqBackupDriver } from './rabbitmq.js';
import { redisBackupDriver } from './redis.js';

export function serviceBackupDrivers(): ServiceBackupDrivers {
  return { postgres: postgresBackupDriver, mysql: mysqlBackupDriver, redis: redisBackupDriver, rabbitmq: rabbitmqBackupDriver };
}
