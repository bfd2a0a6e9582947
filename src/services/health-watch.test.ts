import { describe, expect, it } from 'vitest';
import { HealthMemory } from './health-watch.js';

describe('the health memory of the health watch', () => {
  it('tells transitions only: not a first sighting at start, not the same health seen again', () => {
    const m = new HealthMemory();
    expect(m.see('svc_a', 'ready')).toBe(false);
    expect(m.see('svc_b', 'stopped')).toBe(false);
    m.primed();
    expect(m.see('svc_a', 'ready')).toBe(false);
    expect(m.see('svc_a', 'stopped')).toBe(true);
    expect(m.see('svc_a', 'stopped')).toBe(false);
    expect(m.see('svc_a', 'starting')).toBe(true);
    expect(m.see('svc_a', 'ready')).toBe(true);
    expect(m.see('svc_b', 'stopped')).toBe(false);
  });

  it('takes a service first seen after the first pass as ready before (it was stored once ready)', () => {
    const m = new HealthMemory();
    m.primed();
    expect(m.see('svc_new', 'ready')).toBe(false);
    expect(m.see('svc_newer', 'stopped')).toBe(true);
  });

  it('forgets services that are gone', () => {
    const m = new HealthMemory();
    m.see('svc_a', 'ready');
    m.see('svc_b', 'ready');
    m.keepOnly(new Set(['svc_b']));
    expect(m.size).toBe(1);
  });
});
