/**
 * `slipway service show NAME --wait-health HEALTH`: waits until a provisioned service's health is
 * HEALTH, following the workspace change stream (the server announces each health transition it
 * sees, every 5 s at most). The stream is opened before the first read, so a transition between
 * the read and the stream is not missed; the service is read again on each of its changes, and
 * every 10 s besides (every 2 s when the stream could not be opened or has closed).
 *
 * @module
 */
import type { ServiceDetail } from '../../api/services.js';
import { SlipwayError } from '../../core/errors.js';
import { apiPath } from '../client.js';
import { required, type Ctx } from '../context.js';
import { changeWaiter } from '../sse.js';

export const healths = ['ready', 'starting', 'failed', 'stopped', 'unknown'] as const;

/** Reads the service until its health is `want` (or `timeoutMs` passed: SLW_WAIT_TIMEOUT); says each health it sees on stderr. */
export async function waitHealth(ctx: Ctx, name: string, want: string, timeoutMs: number): Promise<ServiceDetail> {
  if (!(healths as readonly string[]).includes(want)) throw new SlipwayError('SLW_USAGE', `--wait-health ${JSON.stringify(want)} is not a health: use one of ${healths.join(', ')}`);
  const workspace = required(ctx, 'workspace');
  const watch = await changeWaiter(ctx.client, apiPath('workspaces', workspace, 'events'), (c) => c.kind === 'service' && c.name === name);
  const end = Date.now() + timeoutMs;
  let last = '';
  try {
    for (;;) {
      const r = await ctx.client.request<ServiceDetail>('GET', apiPath('workspaces', workspace, 'services', name));
      const p = r.service.provisioned;
      if (!p) throw new SlipwayError('SLW_USAGE', `service '${name}' is adopted: its server is not run by Slipway, which has no health of it to wait for (--wait-health is for provisioned services)`);
      if (p.health === want) return r;
      const line = `${name}: ${p.health}${p.message ? ` (${p.message})` : ''}`;
      if (!ctx.json && line !== last) ctx.io.err(`${line}; waiting for ${want}`);
      last = line;
      const left = end - Date.now();
      if (left <= 0) throw new SlipwayError('SLW_WAIT_TIMEOUT', `service '${name}' is ${p.health}${p.message ? ` (${p.message})` : ''}, not ${want}, after ${Math.round(timeoutMs / 1000)} s; see slipway service show ${name}, or wait longer with --timeout`);
      await watch.next(Math.min(left, watch.live() ? 10_000 : 2_000));
    }
  } finally {
    watch.close();
  }
}
