import { describe, expect, it } from 'vitest';
import { allowsCustomEnvironments, assertDeletableEnvironment, classifyNewEnvironment, defaultEnvironments, environmentsToAddOnTierChange, parseTier, pipelineOrder, tiers } from './tiers.js';

describe('tiers', () => {
  it('gives each tier its default environments', () => {
    expect(defaultEnvironments('low')).toEqual(['prod']);
    expect(defaultEnvironments('mid')).toEqual(['dev', 'prod']);
    expect(defaultEnvironments('high')).toEqual(['dev', 'staging', 'prod']);
    expect(defaultEnvironments('business')).toEqual(['dev', 'staging', 'prod']);
  });

  it('allows custom environments only on high and business', () => {
    expect(tiers.filter(allowsCustomEnvironments)).toEqual(['high', 'business']);
    expect(classifyNewEnvironment('high', 'qa')).toBe('custom');
    expect(classifyNewEnvironment('business', 'qa')).toBe('custom');
    expect(() => classifyNewEnvironment('low', 'qa')).toThrow(/custom environment 'qa' needs the high or business tier/);
    expect(() => classifyNewEnvironment('mid', 'staging')).toThrow(expect.objectContaining({ code: 'SLW_TIER_NO_CUSTOM_ENVIRONMENTS' }));
  });

  it('lets a deleted default environment be created again on any tier', () => {
    expect(classifyNewEnvironment('low', 'prod')).toBe('standard');
    expect(classifyNewEnvironment('mid', 'dev')).toBe('standard');
  });

  it('adds the missing defaults on an upgrade and removes nothing on a downgrade', () => {
    expect(environmentsToAddOnTierChange('high', ['prod'])).toEqual(['dev', 'staging']);
    expect(environmentsToAddOnTierChange('low', ['dev', 'staging', 'prod', 'qa'])).toEqual([]);
  });

  it('protects the tier defaults from deletion', () => {
    expect(() => assertDeletableEnvironment('high', 'staging')).toThrow(expect.objectContaining({ code: 'SLW_ENVIRONMENT_PROTECTED' }));
    expect(() => assertDeletableEnvironment('high', 'qa')).not.toThrow();
    expect(() => assertDeletableEnvironment('low', 'staging')).not.toThrow();
  });

  it('refuses an unknown tier with the list of tiers', () => {
    expect(() => parseTier('gold')).toThrow(expect.objectContaining({ code: 'SLW_UNKNOWN_TIER', message: expect.stringContaining('low, mid, high, business') }));
  });

  it('orders environments as a pipeline', () => {
    expect(['qa', 'prod', 'dev', 'staging', 'a'].sort((x, y) => pipelineOrder(x).localeCompare(pipelineOrder(y)))).toEqual(['dev', 'staging', 'prod', 'a', 'qa']);
  });
});
