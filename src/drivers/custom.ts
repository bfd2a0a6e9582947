/**
 * The driver of custom services (any image with a port, or a server at HOST:PORT): Slipway knows
 * nothing of their protocol, so the probe is a TCP connect, and there is nothing to create or
 * revoke per attachment (custom attachments have no resource and no credentials; the services
 * context never asks for them, and these calls are no-ops if it ever did).
 *
 * @module
 */
import { connect } from 'node:net';
import { SlipwayError } from '../core/errors.js';
import type { ServiceDriver } from '../services/driver.js';
import { driverTimeoutMs, errorCodes } from './failure.js';

/** Connects to the service's port and closes again; throws SLW_SERVICE_UNREACHABLE when nothing accepts. */
function tcpProbe(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: driverTimeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    });
    socket.once('error', reject);
  });
}

export const customDriver: ServiceDriver = {
  kind: 'custom',
  async probe(admin) {
    try {
      await tcpProbe(admin.host, admin.port);
    } catch (error) {
      throw new SlipwayError('SLW_SERVICE_UNREACHABLE', `nothing accepts connections at ${admin.host}:${admin.port} (${errorCodes(error)[0] ?? 'connect failed'}); check the address and that the service runs; nothing was changed`);
    }
    return { version: '' };
  },
  async createResource() {},
  async grantUser() {},
  async revokeUser() {},
  async dropResource() {},
};
