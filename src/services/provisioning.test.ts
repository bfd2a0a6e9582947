import { describe, expect, it } from 'vitest';
import { observation, provisionNames } from './provisioning.js';

describe('provisioned services', () => {
  it('names the workload, volume and network from the service id; workloads reach replica 1 by name', () => {
    const n = provisionNames('svc_0192f3a4b5c6_9f1e2d3c4b5a6978');
    expect(n).toEqual({ workload: 'slw-svc-0192f3a4b5c6-9f1e2d3c4b5a6978', volume: 'slw-svc-0192f3a4b5c6-9f1e2d3c4b5a6978', network: 'slw-svc-0192f3a4b5c6-9f1e2d3c4b5a6978', host: 'slw-svc-0192f3a4b5c6-9f1e2d3c4b5a6978-1' });
    expect(n.host.length).toBeLessThanOrEqual(63);
  });

  it('reads health and the control-plane address from what the target reports', () => {
    const replica = { name: 'w-1', index: 1, exitCode: null, message: null };
    const status = (r: object) => ({ name: 'w', labels: {}, replicas: 1, instances: [{ ...replica, ...r }] as never });
    expect(observation(null)).toMatchObject({ health: 'stopped', address: null });
    expect(observation(status({ state: 'running', ready: true, address: '127.0.0.1:49153' }))).toEqual({ health: 'ready', address: { host: '127.0.0.1', port: 49153 }, message: null });
    expect(observation(status({ state: 'running', ready: false, address: '127.0.0.1:49153', message: 'TCP connect failed' })).health).toBe('starting');
    expect(observation(status({ state: 'pending', ready: false, address: null })).health).toBe('starting');
    expect(observation(status({ state: 'failed', ready: false, address: null, message: 'pull failed' }))).toMatchObject({ health: 'failed', message: 'pull failed' });
    expect(observation(status({ state: 'exited', ready: false, address: null })).health).toBe('stopped');
  });
});
