/**
 * Which servers a workspace may adopt. The control plane connects to an adopted service with
 * its admin credentials, so a tenant naming `127.0.0.1:5432` would reach the machine's own
 * databases (possibly Slipway's store). Like image fetches (`--allow-registry-host`), internal
 * addresses are refused unless the instance admin allows a host or range with
 * `slipway server --allow-service-host HOST|CIDR`. The name is resolved here, checked, and the
 * driver connects to the checked address (a second DNS answer cannot swap it).
 *
 * @module
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SlipwayError } from '../core/errors.js';
import { AllowList } from '../registry/client/egress.js';

export class ServiceHostPolicy {
  readonly #allow: AllowList;

  /** `allow`: host names, addresses and CIDR ranges (`--allow-service-host`). */
  constructor(allow: readonly string[] = []) {
    this.#allow = new AllowList(allow, '--allow-service-host');
  }

  /** The address to connect to for `host`, after checking it; throws SLW_SERVICE_HOST_REFUSED or SLW_SERVICE_UNREACHABLE. */
  async resolve(host: string): Promise<string> {
    const name = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    let address = name;
    if (isIP(name) === 0) {
      try {
        address = (await lookup(name, { verbatim: true })).address;
      } catch {
        throw new SlipwayError('SLW_SERVICE_UNREACHABLE', `service host ${host} does not resolve; check the name`);
      }
    }
    const kind = this.#allow.refusal(name, address);
    if (kind === 'unknown') throw new SlipwayError('SLW_SERVICE_UNREACHABLE', `service host ${host} resolves to no usable address`);
    if (kind) {
      const what = address === name ? `is a ${kind} address` : `resolves to a ${kind} address (${address})`;
      throw new SlipwayError('SLW_SERVICE_HOST_REFUSED', `service host ${host} ${what}, which workspaces may not adopt; ask the instance admin to allow it (slipway server --allow-service-host ${host})`);
    }
    return address;
  }
}
