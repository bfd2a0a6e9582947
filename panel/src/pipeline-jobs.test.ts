import { describe, expect, it } from 'vitest';
import { jobLine } from './pipeline-jobs';

describe('a job in one line', () => {
  it('names its image and timeout, and the volumes it mounts when it mounts any', () => {
    expect(jobLine({ name: 'migrate', image: '$build', timeoutSeconds: 600, volumes: ['data', 'uploads'] })).toBe('migrate ($build, 600s, volumes data, uploads)');
    expect(jobLine({ name: 'lint', image: 'node:22', timeoutSeconds: 60, volumes: [] })).toBe('lint (node:22, 60s)');
  });
});
