/**
 * Mapping to and from the engine's JSON: the create body (ports on 127.0.0.1, health check in
 * nanoseconds, environment in the body) and the inspect and list answers.
 */
import { describe, expect, it } from 'vitest';
import { createBody, fromInspect, fromSummary, fromWireHealthcheck } from './wire.js';

const spec = { image: 'img:1', env: { A: '1', SECRET: 'x=y' }, labels: { l: 'v' }, containerPort: 8080, hostIp: '127.0.0.1' as const };

describe('createBody', () => {
  it('publishes the port on 127.0.0.1 only, a random port by default', () => {
    const body = createBody(spec);
    expect(body).toMatchObject({
      Image: 'img:1', Env: ['A=1', 'SECRET=x=y'], Labels: { l: 'v' }, ExposedPorts: { '8080/tcp': {} },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, RestartPolicy: { Name: 'no' } },
    });
    expect(body).not.toHaveProperty('Cmd');
    expect(body).not.toHaveProperty('Healthcheck');
  });

  it('carries port, limits, restart policy, network, command and health check', () => {
    const body = createBody({
      ...spec, hostPort: 18080, memoryBytes: 64 << 20, nanoCpus: 5e8, restartPolicy: 'on-failure', network: 'slw-net', cmd: ['sleep', '1'],
      healthcheck: { test: ['CMD', 'true'], intervalMs: 500, timeoutMs: 1000, retries: 3, startPeriodMs: 2000 },
    });
    expect(body).toMatchObject({
      Cmd: ['sleep', '1'],
      Healthcheck: { Test: ['CMD', 'true'], Interval: 500e6, Timeout: 1e9, Retries: 3, StartPeriod: 2e9 },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }] }, Memory: 64 << 20, NanoCpus: 5e8, RestartPolicy: { Name: 'on-failure' }, NetworkMode: 'slw-net' },
    });
  });

  it('refuses an environment name with = and a bad port', () => {
    expect(() => createBody({ ...spec, env: { 'A=B': '1' } })).toThrow(/environment variable name 'A=B'/);
    expect(() => createBody({ ...spec, containerPort: 0 })).toThrow(/not 1-65535/);
  });
});

describe('answers', () => {
  it('maps an inspect answer with the 127.0.0.1 port of the bound container port', () => {
    const d = fromInspect({
      Id: 'abc', Name: '/web', Image: 'sha256:1', RestartCount: 2,
      State: { Status: 'running', Running: true, ExitCode: 0, StartedAt: '2024-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z', Health: { Status: 'healthy', Log: [{ Output: 'ok' }] } },
      Config: { Image: `r@sha256:${'b'.repeat(64)}`, Env: ['A=1'], Labels: null },
      HostConfig: { PortBindings: { '8080/tcp': [] } },
      NetworkSettings: { Ports: { '9000/tcp': [{ HostIp: '127.0.0.1', HostPort: '1' }], '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '32768' }] } },
    });
    expect(d).toEqual({
      id: 'abc', name: 'web', image: `r@sha256:${'b'.repeat(64)}`, imageId: 'sha256:1', imageDigest: `sha256:${'b'.repeat(64)}`, labels: {},
      state: { status: 'running', running: true, exitCode: 0, startedAt: '2024-01-01T00:00:00Z', finishedAt: null, health: 'healthy', healthOutput: 'ok', oomKilled: false, restartCount: 2 },
      containerPort: 8080, hostPort: 32768, env: ['A=1'],
    });
  });

  it('maps a list entry and a turned-off health check', () => {
    const s = fromSummary({ Id: 'x', Names: ['/a'], Image: 'i', ImageID: 'sha256:2', Labels: { k: 'v' }, State: 'running', Status: 'Up', Created: 1, Ports: [{ PrivatePort: 8080, Type: 'tcp' }, { IP: '127.0.0.1', PrivatePort: 8080, PublicPort: 4000, Type: 'tcp' }] });
    expect(s).toEqual({ id: 'x', names: ['a'], image: 'i', imageId: 'sha256:2', labels: { k: 'v' }, state: 'running', status: 'Up', created: 1, hostPort: 4000 });
    expect(fromWireHealthcheck({ Test: ['NONE'] })).toBeNull();
    expect(fromWireHealthcheck(null)).toBeNull();
  });
});
