import { describe, expect, it } from 'vitest';
import { jobWorkloadName, judgeJob, overdue, runEnded } from './pipelines.js';

describe('pipeline rules', () => {
  it('names a job deterministically, in the characters a container name allows', () => {
    expect(jobWorkloadName('run_0192f3a4b5c6_9f1e2d3c4b5a6978', 2)).toBe('slw-run-0192f3a4b5c6-9f1e2d3c4b5a6978-2');
  });

  it('judges a job by its end: success, exit code, timeout, or no start at all', () => {
    expect(judgeJob('test', 60, { state: 'succeeded', exitCode: 0, message: null })).toEqual({ job: 'succeeded', run: null, error: null });
    expect(judgeJob('migrate', 60, { state: 'failed', exitCode: 1, message: 'exited with code 1' })).toEqual({ job: 'failed', run: 'failed', error: "job 'migrate' exited with code 1" });
    expect(judgeJob('slow', 5, { state: 'failed', exitCode: 137, message: 'timed out after 5s' })).toEqual({ job: 'timed-out', run: 'timed-out', error: "job 'slow' exceeded its timeout of 5s and was stopped (exit code 137)" });
    expect(judgeJob('x', 5, { state: 'failed', exitCode: null, message: 'pull access denied' }).error).toBe("job 'x' could not run: pull access denied");
  });

  it('knows the ended statuses', () => {
    expect(runEnded('timed-out')).toBe(true);
    expect(runEnded('queued')).toBe(false);
  });

  it('stops a job only when it is overdue, never on the zero start time of a container not started yet', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    const asked = '2026-12-06T11:59:59Z';
    expect(overdue({ state: 'pending', startedAt: '0001-01-01T00:00:00Z' }, asked, 600, now)).toBeNull();
    expect(overdue({ state: 'running', startedAt: '0001-01-01T00:00:00Z' }, asked, 600, now)).toBeNull();
    expect(overdue({ state: 'running', startedAt: '2026-12-06T11:59:00Z' }, asked, 5, now)).toBe('timed out after 5s');
    expect(overdue({ state: 'running', startedAt: '2026-12-06T11:59:50Z' }, asked, 5, now)).toBeNull();
    expect(overdue({ state: 'pending', startedAt: null }, '2026-12-06T11:50:00Z', 60, now)).toBe('did not start within 90s');
  });
});
