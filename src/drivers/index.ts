/**
 * The service drivers by kind, as the services context's port wants them ({@link ServiceDrivers}).
 * Each one talks to a server with the admin credentials it is given, one short connection per
 * call, and refuses names Slipway did not make.
 *
 * @module
 */
import type { ServiceDrivers } from '../services/driver.js';
import { customDriver } from './custom.js';
import { mysqlDriver } from './mysql.js';
import { postgresDriver } from './postgres.js';
import { rabbitmqDriver } from './rabbitmq.js';
import { redisDriver } from './redis.js';

export function serviceDrivers(): ServiceDrivers {
  return { postgres: postgresDriver, mysql: mysqlDriver, redis: redisDriver, rabbitmq: rabbitmqDriver, custom: customDriver };
}
